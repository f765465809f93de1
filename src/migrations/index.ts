export type { Finding, LintReport, MigrationPhase, Severity } from './finding.ts';
export { hasErrors } from './finding.ts';
export { lintPaths, lintMigrationSet, phaseOfPath, type LintOptions, type LintInput } from './lint.ts';
export { formatLintReport, LINT_FORMATS, type LintFormat } from './format-report.ts';
export {
  migrationsConfigSchema, resolveMigrationsConfig,
  type MigrationsConfig, type MigrationsConfigInput, type ResolvedMigrationsConfig,
} from './config-schema.ts';
export { loadMigrationsConfig, resolveMigrationsSection } from './load-config.ts';
export {
  createMigrationRunner,
  type MigrationRunner, type MigrationRunResult, type MigrationStatus, type MigrationFileStatus, type AppliedMigration, type RunnerOptions,
} from './runner.ts';
export {
  contractRefusal, rollbackBlock,
  type ContractRefusal, type RollbackBlock, type ReleaseContext, type RunningRelease,
} from './release-gates.ts';
export type { MigrationDatabase, SqlSession } from './database.ts';
export { createPgDatabase } from './pg-database.ts';
export { createPgliteDatabase } from './pglite-database.ts';
export { createMigrationsHook } from './core-hook.ts';
export { RULES, FILE_RULES } from './rules/index.ts';
