// Traffic through the main listener fails, whatever the cause: with the daemon (router and
// supervisor) killed with SIGKILL during the bake window, under load, every replica process may
// still be up, yet no client is served. The bake window must not report success, and the
// rollback must not wait for a person: it starts the daemon again from its record (as
// `cutover up` would) and puts traffic back on the verified old color.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { get } from './support/workspace.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

describe('a dead daemon during the bake window', () => {
  let ws: ZooWorkspace;
  let main: string;
  before(async () => {
    ws = ZooWorkspace.create(['v1-good', 'v2-good'], zooConfig({ monitor: '20s', stableFor: '500ms' }));
    main = await ws.up();
  });
  after(() => ws.dispose());

  test('is caught within seconds, and the deploy restarts the daemon and rolls back to blue by itself', { timeout: 120_000 }, async (t) => {
    assert.equal((await ws.cli(['deploy', 'v1-good'])).code, 0);
    const load = new LoadGenerator({ url: main, model: 'closed', connections: 4, durationMs: 120_000, path: '/api/items', requestTimeoutMs: 5_000 }).start();
    const running = ws.start(['deploy', 'v2-good']);
    // When the daemon is killed two seconds into the bake window, under load
    const deadline = Date.now() + 30_000;
    while (!/"phase":\s*"monitor"/.test(readFileSync(join(ws.dir, '.cutover', 'state.json'), 'utf8'))) {
      assert.ok(Date.now() < deadline, 'the deploy never reached its bake window');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const oldPid = Number(readFileSync(join(ws.dir, '.cutover', 'daemon.pid'), 'utf8'));
    process.kill(oldPid, 'SIGKILL');
    const r = await running.done;
    await load.stop();

    // Then the bake window fails on the main listener instead of promoting
    assert.equal(r.code, 1, explain(r));
    const monitor = r.json.phases.filter((p: { name: string }) => p.name === 'monitor').at(-1);
    assert.equal(monitor.status, 'failed');
    assert.equal(monitor.data.verdict.signal, 'main-listener');
    assert.ok(monitor.durationMs < 10_000, `the bake window ran ${monitor.durationMs}ms of 20s`);
    assert.match(monitor.detail, /^traffic through the main listener failed 3 times in a row: cannot reach the platform: the cutover daemon is not running/);
    // and the rollback started the daemon again and put traffic back on blue, with nothing left to resume
    assert.equal(r.json.outcome, 'rolled_back', explain(r));
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1-good' });
    const rollback = r.json.phases.find((p: { name: string }) => p.name === 'rollback');
    assert.equal(rollback.status, 'succeeded');
    assert.match(rollback.detail, /^the cutover daemon was not running: started it again \(pid \d+\)/);
    const status = await ws.cli(['status']);
    assert.equal(status.code, 0, explain(status));
    assert.equal(status.json.operation, null, 'nothing is left for `cutover resume`');
    assert.deepEqual(status.json.live, { color: 'blue', version: 'v1-good' });
    const newPid = Number(readFileSync(join(ws.dir, '.cutover', 'daemon.pid'), 'utf8'));
    assert.notEqual(newPid, oldPid);
    // (the zoo's router.listen is 127.0.0.1:0, so the new daemon listens on a new port)
    const up = await ws.cli(['up']);
    const now = up.json.addresses.main as string;
    for (let i = 0; i < 5; i++) assert.equal((await get(now, '/api/items')).version, 'v1-good');
    const records = load.records();
    t.diagnostic(`${records.length} requests under load to the old daemon's port, ${records.filter((x) => x.error !== null || x.status >= 500).length} failed (from the kill on, that port is gone)`);
  });
});
