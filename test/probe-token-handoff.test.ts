// The switch probes' token (src/router/probe-token.ts) must outlive every way the daemon is
// replaced while it serves: a probe sent during or after a hand-off is still told the color
// that served it, and the token stays where only the control plane reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { workerPid } from '../src/router/haproxy/haproxy-process.ts';
import { adminRaw } from './support/admin-raw.ts';
import { explain } from './support/cli-runner.ts';
import { haproxySkip } from './support/haproxy.ts';
import { until } from './support/until.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

interface AdminStatus { pid: number; workerPid: number; live: string | null; colors: Record<string, { replicas: Array<{ pid: number | null }> }> }

async function admin<T>(ws: ScenarioWorkspace, path: string): Promise<T> {
  const r = await adminRaw(join(ws.dir, '.cutover', 'daemon.sock'), 'GET', path);
  if (r.status !== 200) throw new Error(`${path}: status ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

async function servedBy(main: string, probe: string): Promise<string | undefined> {
  const r = await request(`${main}/`, { headers: { 'x-cutover-probe': probe } });
  await r.body.dump();
  return r.headers['x-cutover-served-by'] as string | undefined;
}

/** The token the daemon gives the CLI now, checked to still prove the color; a guess proves nothing. */
async function probeToken(ws: ScenarioWorkspace, main: string, when: string): Promise<string> {
  const { token } = await admin<{ token: string }>(ws, '/probe-token');
  assert.match(token, /^[0-9a-f]{64}$/, when);
  assert.equal(await servedBy(main, token), 'blue', `${when}: the control plane's probe is told the color`);
  assert.equal(await servedBy(main, '1'), undefined, `${when}: a client's probe header is told nothing`);
  return token;
}

/** No replica inherited the token from the daemon's environment. */
function assertNotInReplicaEnv(status: AdminStatus, token: string): void {
  const pids = Object.values(status.colors).flatMap((c) => c.replicas.map((r) => r.pid)).filter((p): p is number => p !== null);
  assert.ok(pids.length > 0, 'replicas run');
  for (const pid of pids) assert.ok(!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(token), `replica ${pid} has the probe token in its environment`);
}

/** `cutover deploy v2` switches to green, and its proof counted every one of its own probes there. */
async function assertDeployProvesSwitch(ws: ScenarioWorkspace): Promise<void> {
  const deploy = await ws.cli(['deploy', 'v2']);
  assert.equal(deploy.code, 0, explain(deploy));
  const proof = deploy.json.phases.find((p: { name: string }) => p.name === 'switch');
  assert.match(proof.detail, /20\/20 probes reached green/, 'the switch proof counted its own probes');
}

async function newWorker(ws: ScenarioWorkspace, before: AdminStatus, what: string): Promise<AdminStatus> {
  return until(`${what}: a new daemon worker with blue live`, () => admin<AdminStatus>(ws, '/status').catch(() => before),
    (s) => s.workerPid !== before.workerPid && s.live === 'blue', 30_000);
}

/**
 * Given a daemon started by `cutover up` (node engine) with v1 live,
 * when it is restarted by `cutover up` and its worker crashes,
 * then each new worker has the keeper's token, and `cutover deploy` still proves its switch.
 */
test('node engine: the probe token survives `cutover up` against a running daemon and a crashed worker', { timeout: 180_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  try {
    const { main } = await ws.up();
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
    const token = await probeToken(ws, main, 'at start');
    assertNotInReplicaEnv(await admin<AdminStatus>(ws, '/status'), token);
    assert.ok(!readFileSync(join(ws.dir, '.cutover', 'daemon.json'), 'utf8').includes(token), 'daemon.json does not hold the token');

    const beforeUp = await admin<AdminStatus>(ws, '/status');
    const up = await ws.cli(['up']);
    assert.equal(up.code, 0, explain(up));
    await newWorker(ws, beforeUp, 'cutover up');
    assert.equal(await probeToken(ws, main, 'after `cutover up`'), token);

    const beforeCrash = await admin<AdminStatus>(ws, '/status');
    process.kill(beforeCrash.workerPid, 'SIGKILL');
    await newWorker(ws, beforeCrash, 'after a crash');
    assert.equal(await probeToken(ws, main, 'after the worker crashed'), token);

    await assertDeployProvesSwitch(ws);
  } finally {
    await ws.dispose();
  }
});

/**
 * Given a daemon with router.engine haproxy and v1 live,
 * when it is restarted by `cutover up`, then killed (keeper and all) and started again,
 * then the running HAProxy keeps its token (no reload for it), the token is only in files
 * of mode 600, and `cutover deploy` still proves its switch.
 */
test('haproxy engine: the probe token survives `cutover up` and a daemon crash, and HAProxy keeps it', { timeout: 180_000, skip: haproxySkip() }, async () => {
  const ws = ScenarioWorkspace.create({ engine: 'haproxy' });
  const engineDir = join(ws.dir, '.cutover', 'engine');
  try {
    const { main } = await ws.up();
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
    const token = await probeToken(ws, main, 'at start');
    for (const file of ['haproxy.cfg', 'engine.json']) {
      assert.ok(readFileSync(join(engineDir, file), 'utf8').includes(token), `${file} has the token`);
      assert.equal(statSync(join(engineDir, file)).mode & 0o077, 0, `${file} is readable by others`);
    }
    assert.equal(statSync(join(engineDir, 'runtime.sock')).mode & 0o077, 0, 'the runtime socket is the owner\'s alone');
    assertNotInReplicaEnv(await admin<AdminStatus>(ws, '/status'), token);

    const beforeUp = await admin<AdminStatus>(ws, '/status');
    const up = await ws.cli(['up']);
    assert.equal(up.code, 0, explain(up));
    await newWorker(ws, beforeUp, 'cutover up');
    assert.equal(await probeToken(ws, main, 'after `cutover up`'), token);

    // A crash takes the keeper too: the next `up` starts a new keeper, with a new token of its
    // own, and adopts the running HAProxy, whose token must stay (and with it its config).
    const haproxyWorker = await workerPid(join(engineDir, 'runtime.sock'));
    const keeper = ws.daemonPid();
    process.kill(keeper, 'SIGKILL');
    await until(`daemon ${keeper} to exit`, async () => { try { process.kill(keeper, 0); return true; } catch { return false; } }, (alive) => !alive, 5_000);
    const again = await ws.cli(['up']);
    assert.equal(again.code, 0, explain(again));
    assert.equal(await probeToken(ws, main, 'after a crash and `cutover up`'), token);
    assert.equal(await workerPid(join(engineDir, 'runtime.sock')), haproxyWorker, 'HAProxy was adopted as it was, not reloaded');

    await assertDeployProvesSwitch(ws);
  } finally {
    await ws.dispose();
  }
});
