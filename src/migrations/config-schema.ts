import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { parseDuration } from '../config/duration.ts';
import { DURATION_LIMITS, durationField } from '../config/fields.ts';
import { CutoverError } from '../core/errors.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;


/** The `migrations:` key of cutover.yaml. */
export const migrationsConfigSchema = z.object({
  expand: z.string().min(1).default('migrations/expand')
    .describe('Directory of expand migrations (*.sql, applied in name order before provision), relative to the config file.'),
  contract: z.string().min(1).default('migrations/contract')
    .describe('Directory of contract migrations, applied by `cutover migrations contract` once no older release runs.'),
  databaseUrl: z.string().min(1).optional()
    .describe('postgres:// URL; `${NAME}` reads an environment variable. Omitted: DATABASE_URL, else an embedded PGlite database.'),
  embeddedDataDir: z.string().min(1).default('.cutover/pglite')
    .describe('Where the embedded PGlite database lives when no server is configured, relative to the config file.'),
  lockTimeout: durationField('lock_timeout for every migration statement; 0 waits forever (not recommended).', DURATION_LIMITS.optionalWait).default('5s'),
  statementTimeout: durationField('statement_timeout for every migration statement; 0 means none.', DURATION_LIMITS.optionalWait).default(0),
  lockWaitTimeout: durationField('How long a second runner waits for the migration lock before it gives up.', DURATION_LIMITS.optionalWait).default('30s'),
  table: z.string().regex(IDENTIFIER, { message: 'expected a lower-case table name, optionally schema-qualified, e.g. cutover_migrations' })
    .default('cutover_migrations')
    .describe('The ledger table that records applied migrations.'),
  pgVersion: z.number().int().min(10).max(18).default(17)
    .describe('PostgreSQL major version that lint assumes when no server is connected.'),
}).strict().describe('Schema migrations in expand/contract form.');

export type MigrationsConfigInput = z.input<typeof migrationsConfigSchema>;
export type MigrationsConfig = z.output<typeof migrationsConfigSchema>;

/** The `migrations:` config with paths made absolute, durations in ms and the database chosen. */
export interface ResolvedMigrationsConfig {
  readonly expandDir: string;
  readonly contractDir: string;
  /** Where to connect; `embedded` means PGlite in `embeddedDataDir`. */
  readonly database: { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'embedded'; readonly dataDir: string };
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly lockWaitTimeoutMs: number;
  readonly table: string;
  readonly pgVersion: number;
}

/**
 * Resolves a validated `migrations:` block. `configDir` anchors relative paths; `env`
 * supplies DATABASE_URL and `${NAME}` references (the core itself never reads process.env).
 * @throws CutoverError('config') when databaseUrl names a variable that is not set.
 */
export function resolveMigrationsConfig(
  input: MigrationsConfig,
  options: { configDir: string; env: Readonly<Record<string, string | undefined>> },
): ResolvedMigrationsConfig {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(options.configDir, p));
  let url = input.databaseUrl;
  if (url !== undefined) {
    url = url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = options.env[name];
      if (value === undefined || value === '') {
        throw new CutoverError('config', `migrations.databaseUrl refers to \${${name}}, which is not set in the environment`, { details: { field: 'migrations.databaseUrl' } });
      }
      return value;
    });
  } else if (options.env.DATABASE_URL) {
    url = options.env.DATABASE_URL;
  }
  return {
    expandDir: at(input.expand),
    contractDir: at(input.contract),
    database: url ? { kind: 'postgres', url } : { kind: 'embedded', dataDir: at(input.embeddedDataDir) },
    lockTimeoutMs: parseDuration(input.lockTimeout),
    statementTimeoutMs: parseDuration(input.statementTimeout),
    lockWaitTimeoutMs: parseDuration(input.lockWaitTimeout),
    table: input.table,
    pgVersion: input.pgVersion,
  };
}
