// Restarting or upgrading the local daemon must not refuse a single connection: the listening
// sockets stay open in the listener keeper while a new daemon takes over, and requests in
// flight on the old one complete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

const RESTARTS = 10;

/** Opens bare TCP connections to `base` every few ms until stopped; counts the refused ones. */
function probeConnections(base: string): { stop(): Promise<{ opened: number; refused: number; other: Record<string, number> }> } {
  const { hostname, port } = new URL(base);
  let running = true;
  let opened = 0;
  let refused = 0;
  const other: Record<string, number> = {};
  const loop = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname);
        socket.once('connect', () => { opened++; socket.destroy(); resolve(); });
        socket.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') refused++;
          else other[err.code ?? err.message] = (other[err.code ?? err.message] ?? 0) + 1;
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { async stop() { running = false; await loop; return { opened, refused, other }; } };
}

describe('cutover up against a running daemon', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  test(`given load with slow requests in flight, ${RESTARTS} restarts refuse no connection and fail no request`, { timeout: 300_000 }, async () => {
    const keeper = ws.daemonPid();
    const load = new LoadGenerator({ url: main, model: 'closed', connections: 32, durationMs: 240_000, slowFraction: 0.02, slowPath: '/slow?ms=1000', newConnectionFraction: 0.1 }).start();
    const probe = probeConnections(main);
    const restarts: Array<{ at: number; from: number; to: number }> = [];
    const stopAll = async () => ({ report: await load.stop(), probed: await probe.stop() });
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      for (let i = 0; i < RESTARTS; i++) {
        const at = Date.now();
        const r = await ws.cli(['up']);
        assert.equal(r.code, 0, `restart ${i}: ${explain(r)}`);
        assert.equal(r.json.pid, keeper, 'the daemon keeps its pid (the keeper) across restarts');
        assert.notEqual(r.json.workerPid, restarts.at(-1)?.to, `restart ${i}: a new daemon process serves`);
        restarts.push({ at, from: restarts.at(-1)?.to ?? 0, to: r.json.workerPid });
        assert.equal(r.json.live, 'blue');
        await new Promise((r) => setTimeout(r, 300));
      }
      await new Promise((r) => setTimeout(r, 1_200));
    } catch (err) {
      await stopAll();
      throw err;
    }
    const { report, probed } = await stopAll();
    const records = load.records();
    assert.equal(new Set(restarts.map((r) => r.to)).size, RESTARTS, 'every restart started a new daemon process');
    assert.ok(report.total.requests > 2_000, `only ${report.total.requests} requests were sent`);
    assert.deepEqual({ non2xx: report.total.non2xx, socketErrors: report.total.socketErrors, errors: report.total.byError },
      { non2xx: 0, socketErrors: 0, errors: {} }, 'every request succeeded');
    assert.ok(probed.opened > 100, `only ${probed.opened} probe connections`);
    assert.deepEqual({ refused: probed.refused, other: probed.other }, { refused: 0, other: {} }, 'no connection was refused');
    // Slow requests in flight when a restart began completed on the old daemon.
    const spanning = records.filter((r) => r.end - r.start >= 1_000 && restarts.some((s) => r.start < s.at && r.end > s.at));
    assert.ok(spanning.length >= 3, `only ${spanning.length} slow requests were in flight at a restart`);
    assert.ok(spanning.every((r) => r.status === 200 && r.error === null), 'every slow request in flight at a restart completed with 200');
  });

  test('SIGHUP to the keeper (systemctl reload) restarts the daemon the same way', { timeout: 120_000 }, async () => {
    const status = await adminStatus(ws);
    const probe = probeConnections(main);
    process.kill(status.pid, 'SIGHUP');
    const deadline = Date.now() + 60_000;
    let after = status;
    while (after.workerPid === status.workerPid) {
      assert.ok(Date.now() < deadline, 'no new daemon process after SIGHUP');
      await new Promise((r) => setTimeout(r, 100));
      after = await adminStatus(ws).catch(() => after);
    }
    const probed = await probe.stop();
    assert.equal(after.pid, status.pid);
    assert.equal(after.live, 'blue');
    assert.deepEqual({ refused: probed.refused, other: probed.other }, { refused: 0, other: {} });
  });

  test('a daemon process that crashes is started again by the keeper, and no connection is refused meanwhile', { timeout: 120_000 }, async () => {
    const before = (await ws.cli(['status'])).json;
    const status = await adminStatus(ws);
    const probe = probeConnections(main);
    const load = new LoadGenerator({ url: main, model: 'closed', connections: 8, durationMs: 60_000, newConnectionFraction: 1 }).start();
    await new Promise((r) => setTimeout(r, 500));
    process.kill(status.workerPid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let after = status;
    while (after.workerPid === status.workerPid || after.live !== 'blue') {
      assert.ok(Date.now() < deadline, 'the keeper did not start the daemon again');
      await new Promise((r) => setTimeout(r, 100));
      after = await adminStatus(ws).catch(() => after);
    }
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    const probed = await probe.stop();
    assert.equal(after.pid, status.pid, 'the same keeper');
    assert.deepEqual({ refused: probed.refused, other: probed.other }, { refused: 0, other: {} }, 'no connection was refused while the daemon was down');
    // Requests sent on new connections while no daemon process ran waited in the listen queue.
    assert.equal(report.total.byError.ECONNREFUSED ?? 0, 0, JSON.stringify(report.total.byError));
    assert.equal(report.total.non2xx, 0);
    assert.equal(before.live.color, 'blue');
  });
});

async function adminStatus(ws: ScenarioWorkspace): Promise<{ pid: number; workerPid: number; live: string | null }> {
  const { adminRaw } = await import('./support/admin-raw.ts');
  const r = await adminRaw(`${ws.dir}/.cutover/daemon.sock`, 'GET', '/status');
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return JSON.parse(r.body);
}
