import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from '../core/errors.ts';
import { migrationsConfigSchema, resolveMigrationsConfig } from './config-schema.ts';
import { resolveMigrationsSection } from './load-config.ts';

describe('migrations config', () => {
  test('an empty section gets the documented defaults, resolved against the config directory', () => {
    const resolved = resolveMigrationsConfig(migrationsConfigSchema.parse({}), { configDir: '/srv/app', env: {} });
    assert.deepEqual(resolved, {
      expandDir: '/srv/app/migrations/expand',
      contractDir: '/srv/app/migrations/contract',
      database: { kind: 'embedded', dataDir: '/srv/app/.cutover/pglite' },
      lockTimeoutMs: 5_000,
      statementTimeoutMs: 0,
      lockWaitTimeoutMs: 30_000,
      table: 'cutover_migrations',
      pgVersion: 17,
    });
  });

  test('DATABASE_URL is used when databaseUrl is omitted, and ${NAME} reads the environment', () => {
    const env = { DATABASE_URL: 'postgres://a@h/db', OTHER: 'postgres://b@h/db2' };
    assert.deepEqual(resolveMigrationsConfig(migrationsConfigSchema.parse({}), { configDir: '/x', env }).database, { kind: 'postgres', url: 'postgres://a@h/db' });
    assert.deepEqual(resolveMigrationsConfig(migrationsConfigSchema.parse({ databaseUrl: '${OTHER}' }), { configDir: '/x', env }).database, { kind: 'postgres', url: 'postgres://b@h/db2' });
  });

  test('a databaseUrl naming an unset variable is a config error, not a silent fallback to the embedded database', () => {
    assert.throws(() => resolveMigrationsConfig(migrationsConfigSchema.parse({ databaseUrl: '${NOPE}' }), { configDir: '/x', env: {} }),
      (err: unknown) => err instanceof CutoverError && err.code === 'config' && /\$\{NOPE\}, which is not set/.test(err.message));
  });

  test('bad values are reported by field path', () => {
    assert.throws(() => resolveMigrationsSection({ lockTimeout: 'soon', table: 'Drop Table', extra: 1 }, '/x/cutover.yaml', {}), (err: unknown) => {
      assert.ok(err instanceof CutoverError);
      assert.equal(err.code, 'config');
      assert.match(err.message, /migrations\.lockTimeout/);
      assert.match(err.message, /migrations\.table/);
      assert.match(err.message, /unknown key "extra"/);
      return true;
    });
    assert.equal(resolveMigrationsSection(undefined, '/x/cutover.yaml', {}), null);
  });
});
