// hooks.onContractRollback: a rollback refused because a contract migration ran names the hook
// (the place for a point-in-time restore), and `rollback --force` runs it before traffic moves.
// Real CLI, daemon, releases and router; migrations on the embedded PGlite default.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureMigrations, writeMigration } from './support/migration-workspace.ts';
import { sample, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// The CLI children inherit this environment, and DATABASE_URL would take them off PGlite.
delete process.env.DATABASE_URL;

const RESTORE = `#!/bin/sh
echo "$CUTOVER_HOOK version=$CUTOVER_VERSION color=$CUTOVER_COLOR previous=$CUTOVER_PREVIOUS_VERSION reason=$CUTOVER_REASON" >> hooks.log
echo "restoring the database to its state before $CUTOVER_PREVIOUS_VERSION"
if [ -f fail-restore ]; then echo "pg_restore: backup not found" >&2; exit 4; fi
`;

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

describe('hooks.onContractRollback', { timeout: 240_000 }, () => {
  let ws: ScenarioWorkspace;
  let main: string;
  const log = () => (existsSync(join(ws.dir, 'hooks.log')) ? readFileSync(join(ws.dir, 'hooks.log'), 'utf8').trim().split('\n') : []);

  before(async () => {
    ws = ScenarioWorkspace.create();
    configureMigrations(ws);
    writeFileSync(join(ws.dir, 'scripts', 'restore.sh'), RESTORE);
    chmodSync(join(ws.dir, 'scripts', 'restore.sh'), 0o755);
    writeFileSync(ws.configPath, `${readFileSync(ws.configPath, 'utf8')}hooks:\n  onContractRollback: ["./scripts/restore.sh"]\n  onRollback: ["./scripts/restore.sh"]\n`);
    writeMigration(ws, 'expand', '001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, name text);');
    ({ main } = await ws.up());
    const v1 = await ws.cli(['deploy', 'v1']);
    assert.equal(v1.code, 0, explain(v1));
    writeMigration(ws, 'expand', '002_full_name.sql', 'ALTER TABLE users ADD COLUMN full_name text;');
    writeMigration(ws, 'contract', '001_drop_name.sql', 'ALTER TABLE users DROP COLUMN name;');
    const v2 = await ws.cli(['deploy', 'v2']);
    assert.equal(v2.code, 0, explain(v2));
    const contract = await ws.cli(['migrations', 'contract']);
    assert.equal(contract.code, 0, explain(contract));
  });
  after(() => ws?.dispose());

  test('the refusal names hooks.onContractRollback and runs nothing', async () => {
    const refused = await ws.cli(['rollback']);
    assert.equal(refused.code, 1, explain(refused));
    assert.match(refused.stderr, /rollback to v1 refused: contract migration 001_drop_name\.sql ran during release v2.*--force runs hooks\.onContractRollback/);
    assert.deepEqual(log(), []);
    assert.deepEqual(await sample(main, 3), ['200 v2']);
  });

  test('a failing restore stops the forced rollback: v2 keeps serving', async () => {
    writeFileSync(join(ws.dir, 'fail-restore'), '');
    const r = await ws.cli(['rollback', '--force']);
    rmSync(join(ws.dir, 'fail-restore'));
    rmSync(join(ws.dir, 'hooks.log'), { force: true });
    assert.equal(r.code, 1, explain(r));
    assert.match(r.stderr, /hooks\.onContractRollback failed: \.\/scripts\/restore\.sh: exit 4: pg_restore: backup not found/);
    assert.deepEqual(await sample(main, 3), ['200 v2']);
  });

  test('rollback --force runs the restore first, keeps its output as evidence, then moves traffic back', async () => {
    const r = await ws.cli(['rollback', '--force']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'rolled_back');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    const lines = log();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['onContractRollback', 'onRollback']);
    assert.match(lines[0]!, /^onContractRollback version=v1 color=blue previous=v2 reason=contract migration 001_drop_name\.sql/);
    const preflight = r.json.phases.find((p: Json) => p.name === 'preflight');
    assert.equal(preflight.data.hooks[0].point, 'onContractRollback');
    assert.match(preflight.data.hooks[0].runs[0].output, /restoring the database to its state before v2/);
    assert.deepEqual(await sample(main, 3), ['200 v1']);
  });
});
