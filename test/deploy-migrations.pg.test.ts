// Deploys and rollbacks that know about schema migrations, end to end: the real CLI
// (`bin/cutover`), a real daemon and router, real release processes and a real PostgreSQL
// server. What is checked is what a user notices: exit codes, the `--json` results,
// `status --json`, which version the main listener serves, and the schema and ledger in the
// database itself (read with `pg`, independently of cutover).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import {
  configureMigrations, DEPLOY_PHASES_WITH_MIGRATIONS, removeMigration, setScaleDownDelay, writeMigration,
} from './support/migration-workspace.ts';
import { startPostgres, type PostgresServer } from './support/postgres.ts';
import { get, sample, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function explain(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

function phaseNames(result: CliResult): string[] {
  return (result.json?.phases ?? []).map((p: Json) => p.name);
}

function phase(result: CliResult, name: string): Json {
  const found = (result.json?.phases ?? []).filter((p: Json) => p.name === name).at(-1);
  assert.ok(found, `no ${name} phase in the result: ${explain(result)}`);
  return found;
}

/** The parts of `status --json` a user reads: who is live, what each color runs, any operation. */
async function status(ws: ScenarioWorkspace): Promise<Json> {
  const r = await ws.cli(['status']);
  assert.equal(r.code, 0, explain(r));
  const { live, colors, operation, maintenance } = r.json;
  return { live, colors, operation, maintenance };
}

/** What the database holds, read directly: `table.column` of every app column, and the ledger rows. */
async function inspect(url: string): Promise<{ columns: string[]; ledger: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ col: string }>(
      `SELECT table_name || '.' || column_name AS col FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'cutover_migrations' ORDER BY table_name, ordinal_position`,
    );
    const hasLedger = (await client.query<{ found: boolean }>(`SELECT to_regclass('cutover_migrations') IS NOT NULL AS found`)).rows[0].found;
    const ledger = hasLedger
      ? (await client.query<{ row: string }>(`SELECT phase || ' ' || name || ' ' || release || ' ' || status AS row FROM cutover_migrations ORDER BY id`)).rows.map((r) => r.row)
      : [];
    return { columns: columns.rows.map((r) => r.col), ledger };
  } finally {
    await client.end();
  }
}

let server: PostgresServer;
before(async () => { server = await startPostgres(); });
after(async () => { await server?.stop(); });

describe('deploy applies expand migrations before the new color starts, and stops when they are bad', { timeout: 180_000 }, () => {
  let ws: ScenarioWorkspace;
  let db: string;
  let main: string;
  before(async () => {
    db = await server.createDatabase('deploy_expand');
    ws = ScenarioWorkspace.create();
    configureMigrations(ws, db);
    writeMigration(ws, 'expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);');
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(phaseNames(r), DEPLOY_PHASES_WITH_MIGRATIONS);
  });
  after(() => ws?.dispose());

  test('a pending expand migration is applied before provision, and the ledger records the release', async () => {
    writeMigration(ws, 'expand', '002_email.sql', 'ALTER TABLE users ADD COLUMN email text;');
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.deepEqual(phaseNames(r), DEPLOY_PHASES_WITH_MIGRATIONS);
    const migrate = phase(r, 'migrate-expand');
    assert.equal(migrate.status, 'succeeded');
    assert.match(migrate.detail, /002_email\.sql/);
    assert.ok(
      Date.parse(migrate.startedAt) + migrate.durationMs <= Date.parse(phase(r, 'provision').startedAt),
      'migrate-expand finished before provision started',
    );

    const { columns, ledger } = await inspect(db);
    assert.deepEqual(columns, ['users.id', 'users.name', 'users.email']);
    assert.deepEqual(ledger, ['expand 001_users.sql v1 applied', 'expand 002_email.sql v2 applied']);
    assert.deepEqual(await sample(main, 5), ['200 v2']);
  });

  test('a lint error in a pending expand migration stops the deploy in preflight; nothing changes', async () => {
    writeMigration(ws, 'expand', '003_phone.sql', 'ALTER TABLE users ADD COLUMN phone text;');
    writeMigration(ws, 'expand', '004_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;');
    const statusBefore = await status(ws);
    const dbBefore = await inspect(db);

    const r = await ws.cli(['deploy', 'v3']);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.deepEqual(phaseNames(r), ['preflight']);
    assert.equal(phase(r, 'preflight').status, 'failed');
    assert.match(phase(r, 'preflight').detail, /004_drop_name\.sql:1 \[drop-column\]/);

    assert.deepEqual(await status(ws), statusBefore);
    assert.deepEqual(await inspect(db), dbBefore, 'not even the valid 003_phone.sql was applied');
    assert.deepEqual(await sample(main, 5), ['200 v2']);
    removeMigration(ws, 'expand', '004_drop_name.sql');
  });

  test('a migration that fails on the server stops the deploy in migrate-expand; earlier files stay recorded', async () => {
    writeMigration(ws, 'expand', '004_order_notes.sql', 'ALTER TABLE orders ADD COLUMN note text;');
    const live = (await status(ws)).live;

    const r = await ws.cli(['deploy', 'v3']);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.deepEqual(phaseNames(r), ['preflight', 'migrate-expand']);
    const migrate = phase(r, 'migrate-expand');
    assert.equal(migrate.status, 'failed');
    assert.match(migrate.detail, /004_order_notes\.sql/);
    assert.match(migrate.detail, /relation "orders" does not exist/);

    const { columns, ledger } = await inspect(db);
    assert.deepEqual(columns, ['users.id', 'users.name', 'users.email', 'users.phone']);
    assert.deepEqual(ledger, [
      'expand 001_users.sql v1 applied',
      'expand 002_email.sql v2 applied',
      'expand 003_phone.sql v3 applied',
    ]);
    const now = await status(ws);
    assert.deepEqual(now.live, live);
    assert.equal(now.colors.green.state, 'live');
    assert.equal(now.colors.green.version, 'v2');
    assert.equal(now.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v2']);
  });
});

describe('contract migrations wait until the old color is retired, then block rollback', { timeout: 180_000 }, () => {
  let ws: ScenarioWorkspace;
  let db: string;
  let main: string;
  before(async () => {
    db = await server.createDatabase('deploy_contract');
    ws = ScenarioWorkspace.create();
    configureMigrations(ws, db);
    writeMigration(ws, 'expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, name text);');
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws?.dispose());

  test('migrations contract is refused while blue still runs v1, and runs once blue is retired', async () => {
    writeMigration(ws, 'expand', '002_full_name.sql', 'ALTER TABLE users ADD COLUMN full_name text;');
    writeMigration(ws, 'contract', '001_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;');

    // Given v2 verified on green but not yet switched to.
    const waiting = await ws.cli(['deploy', 'v2', '--no-switch']);
    assert.equal(waiting.code, 0, explain(waiting));
    assert.equal(waiting.json.outcome, 'waiting');
    const refusedBeforeSwitch = await ws.cli(['migrations', 'contract']);
    assert.equal(refusedBeforeSwitch.code, 1, explain(refusedBeforeSwitch));
    assert.match(refusedBeforeSwitch.json.error.message, /blue still runs v1/);

    // When it is promoted with a long scale-down delay, blue keeps running v1 after the switch.
    setScaleDownDelay(ws, '5m');
    const promote = ws.start(['promote']);
    await ws.waitForPhase('retire', 30_000);
    assert.deepEqual(await sample(main, 3), ['200 v2']);
    const refusedAfterSwitch = await ws.cli(['migrations', 'contract']);
    assert.equal(refusedAfterSwitch.code, 1, explain(refusedAfterSwitch));
    assert.match(refusedAfterSwitch.json.error.message, /blue still runs v1/);
    assert.match(refusedAfterSwitch.stderr, /blue still runs v1/);
    assert.deepEqual((await inspect(db)).columns, ['users.id', 'users.name', 'users.full_name'], 'the refused contract dropped nothing');

    // Then finalize retires blue now, and contract runs.
    const finalize = await ws.cli(['finalize']);
    assert.equal(finalize.code, 0, explain(finalize));
    const promoted = await promote.done;
    assert.equal(promoted.code, 0, explain(promoted));
    assert.equal(promoted.json.outcome, 'promoted');
    assert.equal(phase(promoted, 'retire').status, 'succeeded');
    assert.equal((await status(ws)).colors.blue.state, 'retired');

    const contract = await ws.cli(['migrations', 'contract']);
    assert.equal(contract.code, 0, explain(contract));
    assert.deepEqual(contract.json.applied.map((a: Json) => a.name), ['001_drop_name.sql']);
    const { columns, ledger } = await inspect(db);
    assert.deepEqual(columns, ['users.id', 'users.full_name']);
    assert.deepEqual(ledger, [
      'expand 001_users.sql v1 applied',
      'expand 002_full_name.sql v2 applied',
      'contract 001_drop_name.sql v2 applied',
    ]);
  });

  test('rollback past the contract migration is refused and names it; --force proceeds with a warning', async () => {
    const statusBefore = await status(ws);
    assert.deepEqual(statusBefore.live, { color: 'green', version: 'v2' });

    const refused = await ws.cli(['rollback']);
    assert.equal(refused.code, 1, explain(refused));
    assert.match(refused.stderr, /rollback to v1 refused: contract migration 001_drop_name\.sql ran during release v2/);
    assert.deepEqual(await status(ws), statusBefore, 'a refused rollback changes no color');
    assert.deepEqual(await sample(main, 5), ['200 v2']);

    const forced = await ws.cli(['rollback', '--force']);
    assert.equal(forced.code, 0, explain(forced));
    assert.equal(forced.json.outcome, 'rolled_back');
    assert.deepEqual(forced.json.live, { color: 'blue', version: 'v1' });
    assert.match(forced.stderr, /WARNING.*001_drop_name\.sql/);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
    assert.equal((await get(main)).color, 'blue');
  });
});
