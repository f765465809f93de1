// router.engine haproxy: the daemon can crash and be started again while HAProxy keeps the
// listeners. The new daemon adopts the running HAProxy and reloads it seamlessly (master-worker,
// listeners handed to the new worker), so clients never see a refused connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { until } from './support/until.ts';
import { haproxySkip } from './support/haproxy.ts';
import { workerPid } from '../src/router/haproxy/haproxy-process.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

const RESTARTS = 10;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

type TestContext = import('node:test').TestContext;

/**
 * Deploys v1 in `ws`, runs load through the main listener while `restart(i)` runs RESTARTS
 * times (each followed by a short pause), then asserts no refused connection and no failed
 * request, and that v1 is still live.
 */
async function restartsUnderLoad(t: TestContext, ws: ZooWorkspace, restart: (i: number, main: string) => Promise<void>): Promise<void> {
  let load: LoadGenerator | null = null;
  try {
    const main = await ws.up();
    const first = await ws.cli(['deploy', 'v1-good']);
    assert.equal(first.code, 0, explain(first));
    load = new LoadGenerator({ url: main, model: 'closed', connections: 16, durationMs: 180_000, path: '/api/items', slowPath: '/api/checkout', slowFraction: 0.1, requestTimeoutMs: 15_000 }).start();
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < RESTARTS; i++) {
      await restart(i, main);
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
}

/** A crash: no shutdown hook runs, HAProxy and the replicas are left as they are. */
async function crashDaemon(ws: ZooWorkspace): Promise<void> {
  const pid = Number(readFileSync(join(ws.dir, '.cutover', 'daemon.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await until(`daemon ${pid} to exit`, async () => alive(pid), (a) => !a, 5_000);
}

test('haproxy engine: 10 daemon crashes and restarts under load refuse no connection and fail no request', { timeout: 300_000, skip: haproxySkip() }, async (t) => {
  const ws = ZooWorkspace.create(['v1-good'], zooConfig({ monitor: '1s', engine: 'haproxy' }));
  await restartsUnderLoad(t, ws, async (i, main) => {
    await crashDaemon(ws);
    const restartedAt = Date.now();
    const up = await ws.cli(['up']);
    t.diagnostic(`restart ${i}: cutover up took ${Date.now() - restartedAt}ms`);
    assert.equal(up.code, 0, explain(up));
    if (up.json.addresses.main !== main) t.diagnostic(readFileSync(join(ws.dir, '.cutover', 'engine', 'haproxy.log'), 'utf8') + readFileSync(join(ws.dir, '.cutover', 'daemon.log'), 'utf8').slice(-3000));
    assert.equal(up.json.addresses.main, main, `restart ${i}: the main listener stays where it was`);
  });
});

// The test above restarts the daemon with an unchanged config, so HAProxy is adopted as it is
// and never reloaded. Here every restart changes what the generated HAProxy config says
// (drainTimeout sets hard-stop-after), so each one is a real seamless reload: a new worker
// takes the listening sockets over while the old one finishes its requests. Half the restarts
// are crashes followed by `cutover up`, half are `cutover up` against the running daemon.
// This once failed 2 of 226k requests with socket errors: the old worker closed its idle
// keep-alive connections at once, under clients that were just sending on them (the idle
// keep-alive test in haproxy-data-plane.test.ts shows that cause on its own).
test('haproxy engine: 10 daemon restarts that each reload HAProxy under load refuse no connection and fail no request', { timeout: 300_000, skip: haproxySkip() }, async (t) => {
  const config = (drainTimeout: string) => zooConfig({ monitor: '1s', engine: 'haproxy' }).replace('drainTimeout: 1s', `drainTimeout: ${drainTimeout}`);
  const ws = ZooWorkspace.create(['v1-good'], config('1s'));
  const runtimeSocket = join(ws.dir, '.cutover', 'engine', 'runtime.sock');
  const workers = new Set<number>();
  await restartsUnderLoad(t, ws, async (i, main) => {
    const before = await workerPid(runtimeSocket);
    assert.ok(before !== null, 'a HAProxy worker answers');
    workers.add(before);
    writeFileSync(ws.configPath, config(i % 2 === 0 ? '2s' : '1s'));
    const crash = i % 2 === 0;
    if (crash) await crashDaemon(ws);
    const up = await ws.cli(['up']);
    assert.equal(up.code, 0, explain(up));
    assert.equal(up.json.addresses.main, main, `restart ${i}: the main listener stays where it was`);
    const after = await until(`restart ${i}: a new HAProxy worker`, () => workerPid(runtimeSocket), (w) => w !== null && w !== before, 10_000);
    t.diagnostic(`restart ${i} (${crash ? 'crash + up' : 'up against the running daemon'}): HAProxy worker ${before} -> ${after}`);
  });
  assert.equal(workers.size, RESTARTS, 'every restart reloaded HAProxy');
});
