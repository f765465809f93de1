import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsConfigSchema, resolveMigrationsConfig } from './config-schema.ts';
import { createPgliteDatabase } from './pglite-database.ts';
import { createMigrationRunner } from './runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-pglite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded PGlite default', () => {
  test('with no database configured, expand, status and the contract gate work in .cutover/pglite', { timeout: 120_000 }, async () => {
    mkdirSync(join(dir, 'migrations/expand'), { recursive: true });
    mkdirSync(join(dir, 'migrations/contract'), { recursive: true });
    writeFileSync(join(dir, 'migrations/expand/001_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n');
    writeFileSync(join(dir, 'migrations/expand/002_idx.sql'), 'CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n');
    writeFileSync(join(dir, 'migrations/contract/001_drop.sql'), 'ALTER TABLE users DROP COLUMN name;\n');
    const config = resolveMigrationsConfig(migrationsConfigSchema.parse({}), { configDir: dir, env: {} });
    assert.deepEqual(config.database, { kind: 'embedded', dataDir: join(dir, '.cutover/pglite') });

    const runner = createMigrationRunner(config, { baseDir: dir });
    try {
      const result = await runner.expand({ release: 'v1' });
      assert.deepEqual(result.applied.map((a) => [a.name, a.transactional]), [['001_users.sql', true], ['002_idx.sql', false]]);
      assert.equal((await runner.expand({ release: 'v1' })).applied.length, 0);
      const gate = { running: [{ color: 'blue', version: 'v0' }, { color: 'green', version: 'v1' }], releaseOrder: ['v0', 'v1'] };
      await assert.rejects(runner.contract({ release: 'v1', gate }), /blue still runs v0/);
      await runner.contract({ release: 'v1', gate: { ...gate, running: [gate.running[1]] } });
      const status = await runner.status();
      assert.match(status.database, /embedded PGlite/);
      assert.deepEqual(status.files.map((f) => [f.phase, f.name, f.state]), [
        ['expand', '001_users.sql', 'applied'], ['expand', '002_idx.sql', 'applied'], ['contract', '001_drop.sql', 'applied'],
      ]);
    } finally {
      await runner.close();
    }
  });
});

describe('embedded PGlite is used by one database object at a time', () => {
  test('a second opener waits while a session is open and gets the directory once the last session ends', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'exclusive');
    const first = createPgliteDatabase(dataDir);
    const second = createPgliteDatabase(dataDir, { lockWaitMs: 200 });
    try {
      const a = await first.openSession();
      await a.query('CREATE TABLE kept (id int)');
      await assert.rejects(second.openSession(), /embedded PGlite database in .*exclusive is in use by pid \d+/);
      await a.close();
      const b = await second.openSession();
      assert.deepEqual(await b.query(`SELECT to_regclass('kept') IS NOT NULL AS found`), [{ found: true }]);
      await b.close();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
