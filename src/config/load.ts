import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CutoverError } from '../core/errors.ts';
import { normalizeHealth, normalizeSmoke } from '../checks/config-schema.ts';
import { normalizeLocalPlatform } from '../drivers/local/config-schema.ts';
import { normalizeKubernetesPlatform } from '../drivers/kubernetes/config-schema.ts';
import { normalizeRouter, routerConfigSchema } from '../router/config-schema.ts';
import { parseDuration } from './duration.ts';
import { resolveGuardrails } from '../core/guardrails/config-schema.ts';
import { resolveProgressive } from '../core/progressive/config-schema.ts';
import { formatIssues } from './format-issues.ts';
import type { ResolvedConfig } from './resolved.ts';
import { configSchema, type ParsedConfig } from './schema.ts';

/**
 * Loads cutover.yaml in three steps: parse (YAML, with line numbers on syntax errors),
 * validate (zod, errors by field path), normalize (milliseconds, absolute paths), then the
 * rules that span fields. Every failure is a CutoverError('config'), never a stack trace.
 */
export function loadConfig(path = 'cutover.yaml'): ResolvedConfig {
  const configPath = resolve(path);
  if (!existsSync(configPath)) {
    throw new CutoverError('config', `no config at ${configPath}; run \`cutover init\` to write one, or pass --config <file>`);
  }
  return parseConfig(readFileSync(configPath, 'utf8'), configPath);
}

export function parseConfig(text: string, configPath: string): ResolvedConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const lines = document.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new CutoverError('config', `${configPath} is not valid YAML:\n  ${lines.join('\n  ')}`);
  }
  const input = document.toJS() ?? {};
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, input);
    throw new CutoverError('config', `${configPath} has ${lines.length} problem${lines.length > 1 ? 's' : ''}:\n  ${lines.join('\n  ')}`, { details: { issues: lines } });
  }
  return normalize(result.data, configPath, input as Record<string, unknown>);
}

function normalize(parsed: ParsedConfig, configPath: string, input: Record<string, unknown>): ResolvedConfig {
  const baseDir = dirname(configPath);
  const platform = parsed.platform.kind === 'local'
    ? normalizeLocalPlatform(parsed.platform, baseDir)
    : normalizeKubernetesPlatform(parsed.platform, baseDir, parsed.app);
  const router = normalizeRouter(parsed.router ?? routerConfigSchema.parse({}));
  if (platform.kind === 'local' && router.listen.port !== 0 && router.listen.port === router.preview.port && router.listen.host === router.preview.host) {
    throw new CutoverError('config', `${configPath}: router.preview must differ from router.listen (both are ${router.listen.host}:${router.listen.port})`);
  }
  const health = normalizeHealth(parsed.health, { baseDir });
  const config: ResolvedConfig = {
    app: parsed.app,
    configPath,
    baseDir,
    stateDir: join(baseDir, '.cutover'),
    platform,
    router,
    health,
    smoke: normalizeSmoke(parsed.smoke, { baseDir }),
    gate: parsed.gate,
    monitor: {
      durationMs: parseDuration(parsed.monitor.duration),
      intervalMs: parseDuration(parsed.monitor.interval),
      failureThreshold: parsed.monitor.failureThreshold,
    },
    scaleDown: { delayMs: parseDuration(parsed.scaleDown.delay), replicas: parsed.scaleDown.replicas },
    maintenance: {
      pageFile: parsed.maintenance.page ? resolve(baseDir, parsed.maintenance.page) : undefined,
      retryAfterSec: Math.ceil(parseDuration(parsed.maintenance.retryAfter) / 1000),
      message: parsed.maintenance.message,
    },
    flags: parsed.flags,
    requireHealthyLive: parsed.preflight.requireHealthyLive,
    guardrails: resolveGuardrails(input.guardrails),
    progressive: resolveProgressive(input.progressive),
    raw: input,
  };
  return Object.freeze(config);
}
