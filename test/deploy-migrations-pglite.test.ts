// The quick-start path: migrations configured with no database, so cutover keeps its ledger and
// schema in embedded PGlite under .cutover/pglite. Drives the real CLI, daemon and router; the
// schema is then read with PGlite directly, once no cutover command has the directory open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  configureMigrations, DEPLOY_PHASES_WITH_MIGRATIONS, setScaleDownDelay, writeMigration,
} from './support/migration-workspace.ts';
import { sample, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// The CLI children inherit this environment, and DATABASE_URL would take them off PGlite.
delete process.env.DATABASE_URL;

function explain(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

function phase(result: CliResult, name: string): Json {
  const found = (result.json?.phases ?? []).filter((p: Json) => p.name === name).at(-1);
  assert.ok(found, `no ${name} phase in the result: ${explain(result)}`);
  return found;
}

async function ledger(ws: ScenarioWorkspace): Promise<string[]> {
  const r = await ws.cli(['migrations', 'status']);
  assert.equal(r.code, 0, explain(r));
  return r.json.files.map((f: Json) => `${f.phase} ${f.name} ${f.state} ${f.release}`);
}

describe('expand migrations on the embedded PGlite default (no database configured)', { timeout: 180_000 }, () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    configureMigrations(ws);
    ({ main } = await ws.up());
  });
  after(() => ws?.dispose());

  test('the first deploy applies an expand migration to .cutover/pglite before provision', async () => {
    writeMigration(ws, 'expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, name text);');
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.deepEqual(r.json.phases.map((p: Json) => p.name), DEPLOY_PHASES_WITH_MIGRATIONS);
    const migrate = phase(r, 'migrate-expand');
    assert.equal(migrate.status, 'succeeded');
    assert.equal(migrate.data.database, `embedded PGlite in ${join(ws.dir, '.cutover', 'pglite')}`);
    assert.deepEqual(migrate.data.applied.map((a: Json) => a.name), ['001_users.sql']);
    assert.deepEqual(await sample(main, 3), ['200 v1']);
    assert.deepEqual(await ledger(ws), ['expand 001_users.sql applied v1']);
  });

  test('a migrations command run during a deploy\'s scale-down delay is not lost when the deploy ends', async () => {
    // Given v2 switched to, with blue (v1) kept running through a long scale-down delay.
    writeMigration(ws, 'expand', '002_email.sql', 'ALTER TABLE users ADD COLUMN email text;');
    setScaleDownDelay(ws, '5m');
    const deploy = ws.start(['deploy', 'v2']);
    await ws.waitForPhase('retire', 60_000);

    // When the next release's expand migration is applied by hand meanwhile, and blue is then retired.
    writeMigration(ws, 'expand', '003_city.sql', 'ALTER TABLE users ADD COLUMN city text;');
    const manual = await ws.cli(['migrations', 'expand']);
    assert.equal(manual.code, 0, explain(manual));
    assert.deepEqual(manual.json.applied.map((a: Json) => a.name), ['003_city.sql']);
    const finalize = await ws.cli(['finalize']);
    assert.equal(finalize.code, 0, explain(finalize));
    const deployed = await deploy.done;
    assert.equal(deployed.code, 0, explain(deployed));
    assert.equal(deployed.json.outcome, 'promoted');

    // Then both the deploy's migration and the manual one are still applied.
    assert.deepEqual(await ledger(ws), [
      'expand 001_users.sql applied v1',
      'expand 002_email.sql applied v2',
      'expand 003_city.sql applied v2',
    ]);
  });

  test('the schema in .cutover/pglite has every applied column', async () => {
    const db = new PGlite(join(ws.dir, '.cutover', 'pglite'));
    try {
      const { rows } = await db.query<{ col: string }>(
        `SELECT table_name || '.' || column_name AS col FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> 'cutover_migrations' ORDER BY table_name, ordinal_position`,
      );
      assert.deepEqual(rows.map((r) => r.col), ['users.id', 'users.name', 'users.email', 'users.city']);
    } finally {
      await db.close();
    }
  });
});
