// Traffic through the main listener fails, whatever the cause: with the daemon (router and
// supervisor) killed during the bake window, every replica process may still be up, yet no
// client is served. The bake window must not report success.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain } from './support/cli-runner.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

describe('a dead router during the bake window', () => {
  let ws: ZooWorkspace;
  before(async () => {
    ws = ZooWorkspace.create(['v1-good', 'v2-good'], zooConfig({ monitor: '20s', stableFor: '500ms' }));
    await ws.up();
  });
  after(() => ws.dispose());

  test('is caught within seconds: not promoted, exit 1, the main listener named, the rollback left for resume', async () => {
    assert.equal((await ws.cli(['deploy', 'v1-good'])).code, 0);
    const running = ws.start(['deploy', 'v2-good']);
    // When the daemon dies two seconds into the bake window
    const deadline = Date.now() + 30_000;
    while (!/"phase":\s*"monitor"/.test(readFileSync(join(ws.dir, '.cutover', 'state.json'), 'utf8'))) {
      assert.ok(Date.now() < deadline, 'the deploy never reached its bake window');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    process.kill(Number(readFileSync(join(ws.dir, '.cutover', 'daemon.pid'), 'utf8')), 'SIGKILL');
    const r = await running.done;
    // Then the bake window fails on the main listener instead of promoting; the rollback cannot
    // reach the platform either, so the deploy exits 1 and leaves the operation for `cutover resume`
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.error?.code, 'unreachable', explain(r));
    const state = JSON.parse(readFileSync(join(ws.dir, '.cutover', 'state.json'), 'utf8'));
    const monitor = state.operation.phases.filter((p: { name: string }) => p.name === 'monitor').at(-1);
    assert.equal(monitor.status, 'failed');
    assert.equal(monitor.data.verdict.signal, 'main-listener');
    assert.ok(monitor.durationMs < 10_000, `the bake window ran ${monitor.durationMs}ms of 20s`);
    assert.match(monitor.detail, /^traffic through the main listener failed 3 times in a row: cannot reach the platform: the cutover daemon is not running/);
    assert.equal(state.operation.phase, 'rollback', 'resume will finish the rollback');
  });
});
