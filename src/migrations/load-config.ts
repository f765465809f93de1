import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { formatIssues } from '../config/format-issues.ts';
import { CutoverError } from '../core/errors.ts';
import { migrationsConfigSchema, resolveMigrationsConfig, type ResolvedMigrationsConfig } from './config-schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates and resolves a raw `migrations:` section (e.g. `ResolvedConfig.raw.migrations`).
 * Returns null when the section is absent: migrations are not configured.
 * @throws CutoverError('config') naming the field path of every problem.
 */
export function resolveMigrationsSection(raw: unknown, configPath: string, env: Env): ResolvedMigrationsConfig | null {
  if (raw === undefined || raw === null) return null;
  const result = migrationsConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, raw).map((l) => `migrations.${l}`);
    throw new CutoverError('config', `${configPath} has ${lines.length} problem${lines.length > 1 ? 's' : ''}:\n  ${lines.join('\n  ')}`, { details: { issues: lines } });
  }
  return resolveMigrationsConfig(result.data, { configDir: dirname(configPath), env });
}

/**
 * The config file as plain data, before any validation, or null when there is no file. Lets the
 * migration commands work even while the rest of the file is being written.
 * @throws CutoverError('config') for unreadable YAML.
 */
export function readConfigDocument(configPath: string): Record<string, unknown> | null {
  const path = resolve(configPath);
  if (!existsSync(path)) return null;
  const document = parseDocument(readFileSync(path, 'utf8'));
  if (document.errors.length > 0) {
    const lines = document.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new CutoverError('config', `${path} is not valid YAML:\n  ${lines.join('\n  ')}`);
  }
  return (document.toJS() ?? {}) as Record<string, unknown>;
}

/**
 * Reads only the `migrations:` section of a config file (see readConfigDocument). Returns null
 * when the file or the section is absent.
 * TODO(lead): once `migrations` is part of configSchema, the CLI can call loadConfig() and
 * pass `config.raw.migrations` to resolveMigrationsSection instead.
 * @throws CutoverError('config') for unreadable YAML or an invalid section.
 */
export function loadMigrationsConfig(configPath: string, env: Env): ResolvedMigrationsConfig | null {
  const input = readConfigDocument(configPath);
  return input ? resolveMigrationsSection(input.migrations, resolve(configPath), env) : null;
}
