import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import Table from 'cli-table3';
import { loadConfig } from '../../config/load.ts';
import { CutoverError } from '../../core/errors.ts';
import { recordedReleases, releaseForManualRun, type RecordedReleases } from '../../core/operations/release-context.ts';
import { createPlatform } from '../../drivers/create-platform.ts';
import type { ResolvedMigrationsConfig } from '../../migrations/config-schema.ts';
import { hasErrors } from '../../migrations/finding.ts';
import { formatLintReport, LINT_FORMATS, type LintFormat } from '../../migrations/format-report.ts';
import { lintPaths } from '../../migrations/lint.ts';
import { loadMigrationsConfig, readConfigDocument } from '../../migrations/load-config.ts';
import { createMigrationRunner, type MigrationRunResult } from '../../migrations/runner.ts';

interface CommonOptions {
  configPath: string;
  json: boolean;
}

/**
 * `cutover migrations lint <paths…>`. With no paths, lints the configured expand and
 * contract directories. Returns 1 when any finding is an error, 2 for bad usage.
 */
export async function migrationsLint(
  paths: string[],
  options: { phase?: string; format?: string; pgVersion?: number; configPath?: string },
): Promise<number> {
  const format = (options.format ?? 'text') as LintFormat;
  if (!LINT_FORMATS.includes(format)) throw new CutoverError('usage', `--format must be one of ${LINT_FORMATS.join(', ')}, not "${options.format}"`);
  if (options.phase !== undefined && options.phase !== 'expand' && options.phase !== 'contract') {
    throw new CutoverError('usage', `--phase must be expand or contract, not "${options.phase}"`);
  }
  if (options.pgVersion !== undefined && (!Number.isInteger(options.pgVersion) || options.pgVersion < 10 || options.pgVersion > 18)) {
    throw new CutoverError('usage', `--pg-version must be a PostgreSQL major version from 10 to 18, not "${options.pgVersion}"`);
  }
  const config = loadMigrationsConfig(options.configPath ?? 'cutover.yaml', process.env);
  let targets = paths;
  if (targets.length === 0) {
    if (!config) throw new CutoverError('usage', 'name the migration files or directories to lint, or configure migrations.expand/contract in cutover.yaml');
    targets = [config.expandDir, config.contractDir].filter((d) => existsDir(d));
  }
  const report = await lintPaths(targets, { phase: options.phase as 'expand' | 'contract' | undefined, pgVersion: options.pgVersion, config: config ?? undefined, baseDir: process.cwd() });
  process.stdout.write(formatLintReport(report, format, { color: format === 'text' && process.stdout.isTTY === true }));
  return hasErrors(report) ? 1 : 0;
}

/** `cutover migrations status`: every migration file against the ledger. */
export async function migrationsStatus(options: { configPath: string; json: boolean }): Promise<number> {
  const config = requireConfig(options.configPath);
  const runner = createMigrationRunner(config, { baseDir: process.cwd(), log: progress });
  try {
    const status = await runner.status();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`database: ${status.database}\nledger:   ${status.table}\n`);
    if (status.files.length === 0) {
      process.stdout.write('no migration files\n');
      return 0;
    }
    const table = new Table({ head: ['phase', 'migration', 'state', 'release', 'applied at'], style: { head: [], border: [] } });
    for (const f of status.files) {
      const state = f.state === 'partial' ? `partial (${f.statementsDone}/${f.statementsTotal})` : f.state;
      table.push([f.phase, f.name, state, f.release ?? '', f.appliedAt ?? '']);
    }
    process.stdout.write(`${table.toString()}\n`);
    const changed = status.files.filter((f) => f.state === 'changed');
    if (changed.length > 0) {
      process.stderr.write(`warning: ${changed.map((f) => f.name).join(', ')} changed after being applied; expand/contract will refuse to run\n`);
    }
    return 0;
  } finally {
    await runner.close();
  }
}

/** `cutover migrations expand [--dry-run]`: lint, then apply pending expand migrations. */
export async function migrationsExpand(options: CommonOptions & { dryRun: boolean }): Promise<number> {
  const config = requireConfig(options.configPath);
  const releases = await releasesOnRecord(options.configPath);
  const runner = createMigrationRunner(config, { baseDir: process.cwd(), log: progress });
  try {
    const result = await runner.expand({ dryRun: options.dryRun, release: releaseForManualRun(releases) });
    printResult(result, options.json);
    return 0;
  } finally {
    await runner.close();
  }
}

/**
 * `cutover migrations contract [--dry-run] [--force]`: refused while a color runs a release
 * older than the current expand set; `--force` overrides with a warning.
 */
export async function migrationsContract(options: CommonOptions & { dryRun: boolean; force?: boolean }): Promise<number> {
  const config = requireConfig(options.configPath);
  const releases = await releasesOnRecord(options.configPath);
  const runner = createMigrationRunner(config, { baseDir: process.cwd(), log: progress });
  try {
    const result = await runner.contract({ dryRun: options.dryRun, release: releaseForManualRun(releases), gate: releases, force: options.force });
    if (result.forcedPast) {
      process.stderr.write(`\n!!! WARNING: --force ran contract migrations past the release gate: ${result.forcedPast.reason}.\n!!! ${result.forcedPast.color} may now fail against the schema.\n\n`);
    }
    printResult(result, options.json);
    return 0;
  } finally {
    await runner.close();
  }
}

function printResult(result: MigrationRunResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${w.file}:${w.line}:${w.column} [${w.rule}] ${w.message}\n`);
  if (result.dryRun) {
    process.stdout.write(result.wouldApply.length === 0
      ? `${result.phase} migrations are up to date (${result.alreadyApplied} applied); nothing would run\n`
      : `would apply ${result.wouldApply.length} ${result.phase} migration${result.wouldApply.length === 1 ? '' : 's'} to ${result.database}:\n${result.wouldApply.map((n) => `  ${n}`).join('\n')}\n`);
    return;
  }
  process.stdout.write(result.applied.length === 0
    ? `${result.phase} migrations are up to date (${result.alreadyApplied} applied)\n`
    : `applied ${result.applied.length} ${result.phase} migration${result.applied.length === 1 ? '' : 's'} for release ${result.release}: ${result.applied.map((a) => a.name).join(', ')}\n`);
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function requireConfig(configPath: string): ResolvedMigrationsConfig {
  const config = loadMigrationsConfig(configPath, process.env);
  if (!config) {
    throw new CutoverError('config', `migrations are not configured: add a migrations: section to ${resolve(configPath)} (see migrations.expand and migrations.contract)`);
  }
  return config;
}

/**
 * Which colors run which release, read through the configured platform's own store (the state
 * file locally, the state ConfigMap on Kubernetes), without changing anything. A config with no
 * `platform:` section has never deployed anything: no release runs.
 * @throws CutoverError('config') for a config that does not load, or as the store's reads do.
 */
async function releasesOnRecord(configPath: string): Promise<RecordedReleases> {
  if (readConfigDocument(configPath)?.platform === undefined) return { running: [], releaseOrder: [], live: null };
  const platform = await createPlatform(loadConfig(configPath), { readOnly: true });
  try {
    return await recordedReleases(platform.store);
  } finally {
    await platform.driver.close();
  }
}

function existsDir(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
