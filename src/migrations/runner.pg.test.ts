import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { CutoverError } from '../core/errors.ts';
import { advisoryLockKey } from './advisory-lock.ts';
import { migrationsConfigSchema, resolveMigrationsConfig } from './config-schema.ts';
import { createMigrationsHook } from './core-hook.ts';
import { createMigrationRunner, type MigrationRunner } from './runner.ts';

let server: PostgresServer;
const dirs: string[] = [];
let dbCounter = 0;

before(async () => {
  server = await startPostgres();
});

after(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Project {
  dir: string;
  url: string;
  write(phase: 'expand' | 'contract', name: string, sql: string): void;
  runner(overrides?: Record<string, unknown>): MigrationRunner;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A fresh database and migrations directory per test. */
async function project(): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-mig-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'migrations/expand'), { recursive: true });
  mkdirSync(join(dir, 'migrations/contract'), { recursive: true });
  const url = await server.createDatabase(`t${++dbCounter}`);
  const runners: MigrationRunner[] = [];
  after(async () => { await Promise.all(runners.map((r) => r.close())); });
  return {
    dir,
    url,
    write(phase, name, sql) {
      writeFileSync(join(dir, 'migrations', phase, name), sql);
    },
    runner(overrides = {}) {
      const config = resolveMigrationsConfig(migrationsConfigSchema.parse({ databaseUrl: url, lockTimeout: '2s', ...overrides }), { configDir: dir, env: {} });
      const runner = createMigrationRunner(config, { baseDir: dir });
      runners.push(runner);
      return runner;
    },
    async query<T>(sql: string, params?: unknown[]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
  };
}

async function columns(p: Project, table: string): Promise<string[]> {
  const rows = await p.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table]);
  return rows.map((r) => r.column_name);
}

async function rejection(promise: Promise<unknown>): Promise<CutoverError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CutoverError, `expected a CutoverError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

describe('migration runner on PostgreSQL', () => {
  test('applies expand migrations in order and records each with its checksum and release', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n');
    p.write('expand', '002_email.sql', 'BEGIN;\nALTER TABLE users ADD COLUMN email text;\nCOMMIT;\n');
    p.write('expand', '010_email_idx.sql', 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n');
    const result = await p.runner().expand({ release: 'v2' });
    assert.deepEqual(result.applied.map((a) => [a.name, a.transactional]), [['001_users.sql', true], ['002_email.sql', true], ['010_email_idx.sql', false]]);
    assert.deepEqual(await columns(p, 'users'), ['id', 'name', 'email']);
    const [index] = await p.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass");
    assert.equal(index.valid, true);
    const ledger = await p.query<{ name: string; release: string; status: string; checksum: string }>('SELECT name, release, status, checksum FROM cutover_migrations ORDER BY id');
    assert.deepEqual(ledger.map((r) => [r.name, r.release, r.status]), [['001_users.sql', 'v2', 'applied'], ['002_email.sql', 'v2', 'applied'], ['010_email_idx.sql', 'v2', 'applied']]);
    assert.ok(ledger.every((r) => /^[0-9a-f]{64}$/.test(r.checksum)));
  });

  test('a second run applies nothing and leaves the ledger as it was', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    await p.runner().expand({ release: 'v1' });
    const before = await p.query('SELECT * FROM cutover_migrations');
    const again = await p.runner().expand({ release: 'v2' });
    assert.equal(again.applied.length, 0);
    assert.equal(again.alreadyApplied, 1);
    assert.deepEqual(await p.query('SELECT * FROM cutover_migrations'), before);
    const status = await p.runner().status();
    assert.deepEqual(status.files.map((f) => [f.name, f.state, f.release]), [['001_users.sql', 'applied', 'v1']]);
  });

  test('an applied file edited afterwards stops the run before anything is applied', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    await p.runner().expand({ release: 'v1' });
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, extra text);\n');
    p.write('expand', '002_orders.sql', 'CREATE TABLE orders (id bigint);\n');
    const err = await rejection(p.runner().expand({ release: 'v2' }));
    assert.equal(err.code, 'refused');
    assert.match(err.message, /001_users\.sql was edited after it was applied during release v1/);
    assert.deepEqual(await p.query("SELECT to_regclass('orders') AS t"), [{ t: null }]);
    assert.equal((await p.runner().status()).files.find((f) => f.name === '001_users.sql')?.state, 'changed');
  });

  test('a failure in the middle of a set names the statement and server error and leaves the ledger consistent', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    p.write('expand', '002_broken.sql', 'CREATE TABLE audit (id bigint);\n\nALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams (id);\n');
    p.write('expand', '003_later.sql', 'CREATE TABLE later (id bigint);\n');
    const err = await rejection(p.runner().expand({ release: 'v2' }));
    assert.equal(err.code, 'operation-failed');
    assert.match(err.message, /002_broken\.sql failed at line 3/);
    assert.match(err.message, /ALTER TABLE users ADD COLUMN team_id/);
    assert.match(err.message, /relation "teams" does not exist/);
    assert.match(err.message, /SQLSTATE 42P01/);
    assert.match(err.message, /nothing from 002_broken\.sql was applied/);
    assert.equal(err.details.sqlstate, '42P01');
    // The failed file's first statement was rolled back with it; the file after it never ran.
    assert.deepEqual(await p.query("SELECT to_regclass('audit') AS a, to_regclass('later') AS l"), [{ a: null, l: null }]);
    assert.deepEqual((await p.query<{ name: string }>('SELECT name FROM cutover_migrations')).map((r) => r.name), ['001_users.sql']);

    // An unapplied file may still be fixed; the next run picks up where this one stopped.
    p.write('expand', '002_broken.sql', 'CREATE TABLE audit (id bigint);\n');
    const rerun = await p.runner().expand({ release: 'v2' });
    assert.deepEqual(rerun.applied.map((a) => a.name), ['002_broken.sql', '003_later.sql']);
  });

  test('a CONCURRENTLY file that fails midway records its progress, drops the invalid index and resumes', async () => {
    const p = await project();
    await p.query('CREATE TABLE users (id bigint, email text); INSERT INTO users VALUES (1, \'a@x\'), (2, \'a@x\');');
    p.write('expand', '001_idx.sql', [
      'CREATE INDEX CONCURRENTLY users_id_idx ON users (id);',
      'CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);',
      'CREATE INDEX CONCURRENTLY users_lower_email_idx ON users (lower(email));',
    ].join('\n'));
    const err = await rejection(p.runner().expand({ release: 'v2' }));
    assert.match(err.message, /001_idx\.sql failed at line 2/);
    assert.match(err.message, /could not create unique index "users_email_key"/);
    assert.match(err.message, /statements 1-1 of 3 are applied and recorded, and the next run resumes at statement 2/);
    assert.match(err.message, /invalid index users_email_key .* was dropped/);
    assert.deepEqual(await p.query("SELECT to_regclass('users_email_key') AS i"), [{ i: null }]);
    assert.deepEqual(await p.query('SELECT status, statements_done, statements_total FROM cutover_migrations'), [{ status: 'partial', statements_done: 1, statements_total: 3 }]);
    assert.equal((await p.runner().status()).files[0].state, 'partial');

    await p.query("DELETE FROM users WHERE id = 2");
    const resumed = await p.runner().expand({ release: 'v2' });
    assert.deepEqual(resumed.applied.map((a) => [a.name, a.resumedAfter]), [['001_idx.sql', 1]]);
    assert.deepEqual(await p.query('SELECT status, statements_done FROM cutover_migrations'), [{ status: 'applied', statements_done: 3 }]);
    const indexes = await p.query<{ name: string }>("SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'users'::regclass ORDER BY 1");
    assert.deepEqual(indexes.map((r) => r.name), ['users_email_key', 'users_id_idx', 'users_lower_email_idx']);
  });

  test('lint errors stop the run before anything is applied', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, nickname text);\n');
    await p.runner().expand({ release: 'v1' });
    p.write('expand', '002_ok.sql', 'CREATE TABLE ok (id bigint);\n');
    p.write('expand', '003_drop.sql', 'ALTER TABLE users DROP COLUMN nickname;\n');
    const err = await rejection(p.runner().expand({ release: 'v2' }));
    assert.equal(err.code, 'refused');
    assert.match(err.message, /lint found 1 error in pending expand migrations; nothing was applied/);
    assert.match(err.message, /003_drop\.sql:1:19 \[drop-column\]/);
    assert.deepEqual(await p.query("SELECT to_regclass('ok') AS t"), [{ t: null }]);
  });

  test('a dry run reports what would run and changes nothing', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint);\n');
    const result = await p.runner().expand({ release: 'v1', dryRun: true });
    assert.deepEqual(result.wouldApply, ['001_users.sql']);
    assert.deepEqual(await p.query("SELECT to_regclass('users') AS u, to_regclass('cutover_migrations') AS l"), [{ u: null, l: null }]);
  });

  test('a second runner waits for the first and then finds nothing left to do', async () => {
    const p = await project();
    p.write('expand', '001_slow.sql', 'CREATE TABLE slow (id bigint);\nSELECT pg_sleep(0.6);\n');
    const [a, b] = await Promise.all([
      p.runner({ lockWaitTimeout: '20s' }).expand({ release: 'v1' }),
      p.runner({ lockWaitTimeout: '20s' }).expand({ release: 'v1' }),
    ]);
    assert.deepEqual([a.applied.length, b.applied.length].sort(), [0, 1]);
    assert.deepEqual(await p.query('SELECT count(*)::int AS n FROM cutover_migrations'), [{ n: 1 }]);
  });

  test('a runner that cannot get the lock in time fails clearly, naming the holder', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint);\n');
    const holder = new pg.Client({ connectionString: p.url, application_name: 'other runner' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('cutover_migrations').toString()]);
      const started = Date.now();
      const err = await rejection(p.runner({ lockWaitTimeout: '600ms' }).expand({ release: 'v1' }));
      const waited = Date.now() - started;
      assert.equal(err.code, 'locked');
      assert.match(err.message, /another migration run holds the lock for cutover_migrations \(pid \d+ "other runner"/);
      assert.match(err.message, /gave up after waiting 600ms/);
      assert.ok(waited >= 550 && waited < 5_000, `waited ${waited}ms`);
      assert.deepEqual(await p.query("SELECT to_regclass('users') AS u"), [{ u: null }]);
    } finally {
      await holder.end();
    }
    const result = await p.runner({ lockWaitTimeout: '600ms' }).expand({ release: 'v1' });
    assert.equal(result.applied.length, 1);
  });
});

describe('release gates', () => {
  const order = ['v1', 'v2', 'v3'];

  test('contract is refused while a color still runs a release older than the expand set', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint, name text, full_name text);\n');
    await p.runner().expand({ release: 'v2' });
    p.write('contract', '001_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;\n');

    const gate = { running: [{ color: 'green', version: 'v2' }, { color: 'blue', version: 'v1' }], releaseOrder: order };
    const err = await rejection(p.runner().contract({ release: 'v2', gate }));
    assert.equal(err.code, 'refused');
    assert.match(err.message, /blue still runs v1, which is older than v2, the release that applied expand migration 001_users\.sql/);
    assert.deepEqual(err.details, { reason: err.details.reason, blockingRelease: 'v2', color: 'blue' });
    assert.deepEqual(await columns(p, 'users'), ['id', 'name', 'full_name']);
    assert.deepEqual(await p.runner().checkContractAllowed(gate), { reason: err.details.reason, blockingRelease: 'v2', color: 'blue' });

    const retired = { running: [{ color: 'green', version: 'v2' }], releaseOrder: order };
    assert.equal(await p.runner().checkContractAllowed(retired), null);
    const result = await p.runner().contract({ release: 'v2', gate: retired });
    assert.deepEqual(result.applied.map((a) => a.name), ['001_drop_name.sql']);
    assert.deepEqual(await columns(p, 'users'), ['id', 'full_name']);
  });

  test('--force runs contract past the gate and says so', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint, name text);\n');
    await p.runner().expand({ release: 'v2' });
    p.write('contract', '001_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;\n');
    const result = await p.runner().contract({ release: 'v2', gate: { running: [{ color: 'blue', version: 'v1' }], releaseOrder: order }, force: true });
    assert.equal(result.applied.length, 1);
    assert.equal(result.forcedPast?.color, 'blue');
  });

  test('after a contract migration, rollback to an older release is refused and names the migration', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint, name text, full_name text);\n');
    await p.runner().expand({ release: 'v1' });
    p.write('expand', '002_nothing.sql', 'SELECT 1;\n');
    await p.runner().expand({ release: 'v2' });
    const runner = p.runner();
    assert.equal(await runner.rollbackBlocker({ targetVersion: 'v1', releaseOrder: order }), null, 'no contract yet: rollback is fine');

    p.write('contract', '001_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;\n');
    await runner.contract({ release: 'v2', gate: { running: [{ color: 'green', version: 'v2' }], releaseOrder: order } });
    const block = await runner.rollbackBlocker({ targetVersion: 'v1', releaseOrder: order });
    assert.equal(block?.migration, '001_drop_name.sql');
    assert.equal(block?.release, 'v2');
    assert.match(block!.message, /^contract migration 001_drop_name\.sql ran during release v2 \(at .+\) and may have removed schema that v1 needs$/);
    assert.equal(await runner.rollbackBlocker({ targetVersion: 'v2', releaseOrder: order }), null);
    // A release the ledger cannot place in deploy order is not provably safe.
    assert.equal((await runner.rollbackBlocker({ targetVersion: 'v0-unknown', releaseOrder: order }))?.migration, '001_drop_name.sql');

    const hook = createMigrationsHook(runner);
    assert.match((await hook.rollbackBlocker('v1', order)) ?? '', /001_drop_name\.sql/);
  });

  test('the core hook reports lint and expand outcomes as data', async () => {
    const p = await project();
    p.write('expand', '001_users.sql', 'CREATE TABLE users (id bigint, name text);\n');
    const hook = createMigrationsHook(p.runner());
    assert.equal((await hook.lint()).ok, true);
    const applied = await hook.expand('v1', new AbortController().signal);
    assert.equal(applied.ok, true);
    assert.match(applied.summary, /applied 001_users\.sql/);
    p.write('expand', '002_bad.sql', 'ALTER TABLE users RENAME COLUMN name TO full_name;\n');
    const lint = await hook.lint();
    assert.equal(lint.ok, false);
    assert.match(lint.summary, /1 error, 0 warnings in 1 pending expand migration; first: migrations\/expand\/002_bad\.sql:1 \[rename-column\]/);
    const expand = await hook.expand('v2', new AbortController().signal);
    assert.equal(expand.ok, false);
  });
});
