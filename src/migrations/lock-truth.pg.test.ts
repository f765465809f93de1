import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { CutoverError } from '../core/errors.ts';
import { migrationsConfigSchema, resolveMigrationsConfig } from './config-schema.ts';
import { lintMigrationSet } from './lint.ts';
import { createMigrationRunner } from './runner.ts';
import { loadSqlParser } from './sql-file.ts';

/**
 * The rule messages make claims about locks ("blocking all reads and writes", "reads go on",
 * "waits indefinitely"). These tests check the claims against a real server: an open
 * transaction holds a lock on the table, the flagged statement runs, and other sessions
 * observe whether they are blocked.
 */
let server: PostgresServer;
let url: string;
const clients: pg.Client[] = [];
const dirs: string[] = [];

before(async () => {
  await loadSqlParser();
  server = await startPostgres();
  url = await server.createDatabase('locks');
});

after(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function session(name: string): Promise<pg.Client & { pid: number }> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  return Object.assign(client, { pid });
}

/** True once the session is waiting on a heavyweight lock (per pg_stat_activity), false if it never does within `ms`. */
async function waitsOnLock(observer: pg.Client, pid: number, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const { rows } = await observer.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0]?.w === 'Lock') return true;
    await sleep(25);
  }
  return false;
}

/** Resolves to 'done' if the query settles within `ms`, else 'pending' (and the query keeps running). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<'done' | 'pending'> {
  return Promise.race([promise.then(() => 'done' as const, () => 'done' as const), sleep(ms).then(() => 'pending' as const)]);
}

function lintMessage(sql: string, lockTimeoutMs = 5_000): { rule: string; message: string; hint: string }[] {
  return lintMigrationSet([{ file: 'm.sql', text: sql, phase: 'expand' }], { pgVersion: 15, lockTimeoutMs });
}

async function freshTable(admin: pg.Client, name: string): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (id int, a int); INSERT INTO ${name} SELECT g, g FROM generate_series(1, 1000) g`);
}

describe('rule messages tell the truth on a real server', () => {
  test('set-not-null: while it waits for its lock, all reads and writes of the table queue behind it', async () => {
    const sql = 'ALTER TABLE t1 ALTER COLUMN a SET NOT NULL';
    const [finding] = lintMessage(`${sql};`);
    assert.equal(finding.rule, 'set-not-null');
    assert.match(finding.message, /ACCESS EXCLUSIVE lock, blocking all reads and writes/);

    const admin = await session('admin');
    await freshTable(admin, 't1');
    const holder = await session('holder');
    const migration = await session('migration');
    const reader = await session('reader');
    const writer = await session('writer');
    await holder.query('BEGIN; SELECT 1 FROM t1 LIMIT 1');
    const altering = migration.query(sql);
    assert.ok(await waitsOnLock(admin, migration.pid), 'the migration waits for the open transaction');
    const reading = reader.query('SELECT count(*) FROM t1');
    const writing = writer.query('INSERT INTO t1 VALUES (0, 0)');
    assert.ok(await waitsOnLock(admin, reader.pid), 'a plain SELECT queues behind the migration');
    assert.ok(await waitsOnLock(admin, writer.pid), 'an INSERT queues behind the migration');
    await holder.query('COMMIT');
    await Promise.all([altering, reading, writing]);
  });

  test('missing-lock-timeout: with no lock_timeout it waits indefinitely; with one it fails fast and the queue clears', async () => {
    const sql = 'ALTER TABLE t2 ADD COLUMN b int';
    const [finding] = lintMessage(`${sql};`, 0);
    assert.equal(finding.rule, 'missing-lock-timeout');
    assert.match(finding.message, /waits indefinitely, and every later query on the table queues behind it/);
    assert.match(finding.hint, /lock_timeout/);

    const admin = await session('admin');
    await freshTable(admin, 't2');
    const holder = await session('holder');
    const migration = await session('migration');
    const reader = await session('reader');
    await holder.query('BEGIN; SELECT 1 FROM t2 LIMIT 1');

    // Without lock_timeout: still waiting after a while, and a reader is stuck behind it.
    const unguarded = migration.query(sql);
    assert.ok(await waitsOnLock(admin, migration.pid));
    const reading = reader.query('SELECT count(*) FROM t2');
    assert.ok(await waitsOnLock(admin, reader.pid));
    assert.equal(await settlesWithin(unguarded, 1_000), 'pending');
    await admin.query('SELECT pg_cancel_backend($1)', [migration.pid]);
    await assert.rejects(unguarded, { code: '57014' });
    await reading;

    // With the recommended lock_timeout: it gives up quickly and the reader gets through while the transaction is still open.
    await migration.query("SET lock_timeout = '300ms'");
    const started = Date.now();
    const guarded = migration.query(sql);
    assert.ok(await waitsOnLock(admin, migration.pid));
    const reading2 = reader.query('SELECT count(*) FROM t2');
    await assert.rejects(guarded, { code: '55P03' });
    assert.ok(Date.now() - started < 2_000, `lock_timeout fired after ${Date.now() - started}ms`);
    assert.equal(await settlesWithin(reading2, 2_000), 'done', 'the reader is served once the migration gives up');
    await holder.query('COMMIT');
  });

  test('create-index-not-concurrently: writes wait for the build, reads go on; CONCURRENTLY lets writes through', async () => {
    const sql = 'CREATE INDEX t3_a_idx ON t3 (a)';
    const [finding] = lintMessage(`${sql};`);
    assert.equal(finding.rule, 'create-index-not-concurrently');
    assert.match(finding.message, /blocking every INSERT, UPDATE and DELETE \(reads go on\)/);
    assert.match(finding.hint, /CONCURRENTLY/);

    const admin = await session('admin');
    await freshTable(admin, 't3');
    const holder = await session('holder');
    const migration = await session('migration');
    const reader = await session('reader');
    const writer = await session('writer');

    await holder.query('BEGIN; INSERT INTO t3 VALUES (-1, -1)');
    const building = migration.query(sql);
    assert.ok(await waitsOnLock(admin, migration.pid));
    assert.equal(await settlesWithin(reader.query('SELECT count(*) FROM t3'), 2_000), 'done', 'reads go on');
    const writing = writer.query('INSERT INTO t3 VALUES (-2, -2)');
    assert.ok(await waitsOnLock(admin, writer.pid), 'an INSERT waits');
    await holder.query('COMMIT');
    await Promise.all([building, writing]);

    await holder.query('BEGIN; INSERT INTO t3 VALUES (-3, -3)');
    const concurrent = migration.query('CREATE INDEX CONCURRENTLY t3_id_idx ON t3 (id)');
    assert.ok(await waitsOnLock(admin, migration.pid), 'CONCURRENTLY also waits for the open transaction');
    assert.equal(await settlesWithin(writer.query('INSERT INTO t3 VALUES (-4, -4)'), 2_000), 'done', 'but writes are not blocked meanwhile');
    await holder.query('COMMIT');
    await concurrent;
  });

  test("the runner's own lock_timeout makes a blocked migration fail fast instead of queueing traffic", async () => {
    const admin = await session('admin');
    await freshTable(admin, 't4');
    const dir = mkdtempSync(join(tmpdir(), 'cutover-locks-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'migrations/expand'), { recursive: true });
    writeFileSync(join(dir, 'migrations/expand/001_add.sql'), 'ALTER TABLE t4 ADD COLUMN note text;\n');
    const config = resolveMigrationsConfig(migrationsConfigSchema.parse({ databaseUrl: url, lockTimeout: '300ms' }), { configDir: dir, env: {} });
    const runner = createMigrationRunner(config, { baseDir: dir });
    const holder = await session('holder');
    try {
      await holder.query('BEGIN; SELECT 1 FROM t4 LIMIT 1');
      const started = Date.now();
      const err = await runner.expand({ release: 'v1' }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof CutoverError);
      assert.match(err.message, /001_add\.sql failed at line 1, column 1 \(ALTER TABLE t4 ADD COLUMN note text\): canceling statement due to lock timeout \[SQLSTATE 55P03\]/);
      assert.ok(Date.now() - started < 3_000, `failed after ${Date.now() - started}ms`);
      await holder.query('COMMIT');
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't4' AND column_name = 'note'");
      assert.equal(rows[0].n, 0);
    } finally {
      await runner.close();
    }
  });
});
