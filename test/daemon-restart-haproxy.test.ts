// router.engine haproxy: the daemon can crash and be started again while HAProxy keeps the
// listeners. The new daemon adopts the running HAProxy and reloads it seamlessly (master-worker,
// listeners handed to the new worker), so clients never see a refused connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { until } from './support/until.ts';
import { haproxySkip } from './support/haproxy.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

const RESTARTS = 10;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('haproxy engine: 10 daemon crashes and restarts under load refuse no connection and fail no request', { timeout: 300_000, skip: haproxySkip() }, async (t) => {
  const ws = ZooWorkspace.create(['v1-good'], zooConfig({ monitor: '1s', engine: 'haproxy' }));
  let load: LoadGenerator | null = null;
  try {
    const main = await ws.up();
    const first = await ws.cli(['deploy', 'v1-good']);
    assert.equal(first.code, 0, explain(first));
    load = new LoadGenerator({ url: main, model: 'closed', connections: 16, durationMs: 120_000, path: '/api/items', slowPath: '/api/checkout', slowFraction: 0.1, requestTimeoutMs: 15_000 }).start();
    await new Promise((r) => setTimeout(r, 500));
    const pidFile = join(ws.dir, '.cutover', 'daemon.pid');
    for (let i = 0; i < RESTARTS; i++) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // A crash: no shutdown hook runs, HAProxy and the replicas are left as they are.
      process.kill(pid, 'SIGKILL');
      await until(`daemon ${pid} to exit`, async () => alive(pid), (a) => !a, 5_000);
      const restartedAt = Date.now();
      const up = await ws.cli(['up']);
      t.diagnostic(`restart ${i}: cutover up took ${Date.now() - restartedAt}ms`);
      assert.equal(up.code, 0, explain(up));
      if (up.json.addresses.main !== main) t.diagnostic(readFileSync(join(ws.dir, '.cutover', 'engine', 'haproxy.log'), 'utf8') + readFileSync(join(ws.dir, '.cutover', 'daemon.log'), 'utf8').slice(-3000));
      assert.equal(up.json.addresses.main, main, `restart ${i}: the main listener stays where it was`);
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    load = null;
    t.diagnostic(`${report.total.requests} requests across ${RESTARTS} daemon restarts`);
    assert.ok(report.total.requests > 1_000, `only ${report.total.requests} requests were sent`);
    assert.deepEqual({ non2xx: report.total.non2xx, socketErrors: report.total.socketErrors, errors: report.total.byError },
      { non2xx: 0, socketErrors: 0, errors: {} }, 'no refused connection, no failed request');
    const status = await ws.cli(['status']);
    assert.deepEqual(status.json.live, { color: 'blue', version: 'v1-good' });
  } finally {
    if (load) await load.stop().catch(() => {});
    await ws.dispose();
  }
});
