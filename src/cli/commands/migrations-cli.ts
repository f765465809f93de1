import type { Command } from 'commander';
import type { Globals } from '../context.ts';

/**
 * `cutover migrations lint|status|expand|contract`. The work lives in `src/migrations/`; the
 * module is imported on use so other verbs never load the SQL parser or a database driver.
 */
export function registerMigrations(program: Command, globals: Globals): void {
  const migrations = program.command('migrations').description('lint and apply expand/contract schema migrations');
  const load = () => import('./migrations.ts');
  migrations.command('lint <paths...>').description('check migrations for changes that break blue/green or block traffic')
    .option('--phase <phase>', 'expand or contract (default: from the configured directory, else expand)')
    .option('--format <format>', 'text, json or github', 'text')
    .option('--pg-version <n>', 'PostgreSQL major version of the target server')
    .action(async (paths: string[], options: { phase?: 'expand' | 'contract'; format: 'text' | 'json' | 'github'; pgVersion?: string }) => {
      const g = globals();
      return (await load()).migrationsLint(paths, { phase: options.phase, format: g.json ? 'json' : options.format, pgVersion: options.pgVersion ? Number(options.pgVersion) : undefined, configPath: g.config });
    });
  migrations.command('status').description('show applied and pending migrations')
    .action(async () => (await load()).migrationsStatus({ configPath: globals().config, json: Boolean(globals().json) }));
  migrations.command('expand').description('apply pending expand migrations (lint first)')
    .option('--dry-run', 'show what would run')
    .action(async (options: { dryRun?: boolean }) => (await load()).migrationsExpand({ configPath: globals().config, dryRun: Boolean(options.dryRun), json: Boolean(globals().json) }));
  migrations.command('contract').description('apply contract migrations once no old release runs')
    .option('--dry-run', 'show what would run')
    .option('--force', 'run even while an older release is running (dangerous)')
    .action(async (options: { dryRun?: boolean; force?: boolean }) => (await load()).migrationsContract({ configPath: globals().config, dryRun: Boolean(options.dryRun), json: Boolean(globals().json), force: options.force }));
}
