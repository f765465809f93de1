// End-to-end scenarios for the local platform: each drives the real CLI (`bin/cutover`) against a
// real daemon, real release processes and the real router, and checks what a user would see:
// exit codes, `--json` results, `status --json`, and which version the main listener serves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isProcessAlive } from '../src/process/process-alive.ts';
import { get, sample, ScenarioWorkspace, SMOKE_FAIL_VERSION, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function phase(result: CliResult, name: string): Json {
  const found = (result.json?.phases ?? []).filter((p: Json) => p.name === name).at(-1);
  assert.ok(found, `no ${name} phase in the result: ${result.stdout || result.stderr}`);
  return found;
}

function explain(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

async function status(ws: ScenarioWorkspace): Promise<Json> {
  const r = await ws.cli(['status']);
  assert.ok(r.json, `status --json printed no JSON: ${explain(r)}`);
  return r.json;
}

/** Given a workspace with the daemon up and v1 live on blue. */
async function withV1Live(ws: ScenarioWorkspace): Promise<string> {
  const { main } = await ws.up();
  const r = await ws.cli(['deploy', 'v1']);
  assert.equal(r.code, 0, explain(r));
  return main;
}

async function waitUntilDead(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a release goes live, is replaced, and is rolled back to', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    ({ main } = await ws.up());
  });
  after(() => ws.dispose());

  test('first deploy: v1 goes live on blue and the main listener serves it', async () => {
    assert.equal((await get(main)).status, 503, 'with nothing live the router answers 503');
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.deepEqual(r.json.phases.map((p: Json) => p.name), ['preflight', 'provision', 'verify', 'gate', 'switch', 'monitor', 'retire']);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
  });

  test('blue to green: v2 is promoted, green is live, blue is retired', async () => {
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.equal(phase(r, 'retire').status, 'succeeded');
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'green', version: 'v2' });
    assert.equal(s.colors.green.state, 'live');
    assert.equal(s.colors.green.healthy, true);
    assert.equal(s.colors.blue.state, 'retired');
    assert.equal(s.colors.blue.version, 'v1');
    assert.equal(s.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v2']);
  });

  test('rollback after retire: blue is scaled back up and serves v1 again', async () => {
    const r = await ws.cli(['rollback']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'rolled_back');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.match(phase(r, 'rollback').detail, /scaled blue back up/);
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'blue', version: 'v1' });
    assert.equal(s.colors.blue.healthy, true);
    assert.deepEqual([s.colors.blue.ready, s.colors.blue.desired], [2, 2]);
    assert.equal(s.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
  });
});

describe('a release that fails before the switch never takes traffic', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    main = await withV1Live(ws);
  });
  after(() => ws.dispose());

  async function assertV1StillLive(): Promise<Json> {
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'blue', version: 'v1' });
    assert.equal(s.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
    return s;
  }

  test('failed health check: exit 1, verify names /health/ready, v1 keeps serving', async () => {
    const r = await ws.cli(['deploy', 'bad-health']);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    const verify = phase(r, 'verify');
    assert.equal(verify.status, 'failed');
    assert.match(verify.detail, /\/health\/ready/);
    assert.ok(!r.json.phases.some((p: Json) => p.name === 'switch'), 'a release that failed verification must never reach the switch');
    const s = await assertV1StillLive();
    assert.equal(s.colors.green.state, 'failed');
  });

  test('failed smoke test: exit 1, verify says smoke, and the smoke output is kept', async () => {
    const r = await ws.cli(['deploy', SMOKE_FAIL_VERSION]);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    const verify = phase(r, 'verify');
    assert.equal(verify.status, 'failed');
    assert.match(verify.detail, /smoke/);
    assert.match(JSON.stringify(verify.data), /checkout flow returned 500/, 'the smoke script\'s output belongs in the verify phase\'s evidence');
    const history = await ws.cli(['history']);
    assert.match(history.stdout, /checkout flow returned 500/, 'the smoke output is kept in the history too');
    await assertV1StillLive();
  });

  test('crash-looping release: exit 1, provision says crash-looping, v1 keeps serving', async () => {
    const r = await ws.cli(['deploy', 'crash']);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    const provision = phase(r, 'provision');
    assert.equal(provision.status, 'failed');
    assert.match(provision.detail, /crash-looping/);
    assert.ok(!r.json.phases.some((p: Json) => p.name === 'verify'), 'a crash-looping release is not verified');
    await assertV1StillLive();
  });
});

describe('a running operation holds the lock and can be aborted', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  let slowConfig: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    slowConfig = ws.writeConfig('cutover-slow.yaml', { monitorDuration: '60s', healthTimeout: '30s' });
    main = await withV1Live(ws);
  });
  after(() => ws.dispose());

  test('lock contention: a second deploy exits 3 naming the holder; abort rolls the first back', async () => {
    const first = ws.start(['deploy', 'v2'], { config: slowConfig });
    await ws.waitForPhase('monitor');
    const second = await ws.cli(['deploy', 'v3']);
    assert.equal(second.code, 3, explain(second));
    assert.match(second.stderr, new RegExp(`deploy v2 \\(pid ${first.pid}\\b`), 'the refusal names who holds the lock');
    assert.equal(second.json?.error?.code, 'locked');

    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
    const r = await first.done;
    assert.equal(r.code, 1, explain(r));
    assert.ok(['aborted', 'rolled_back'].includes(r.json.outcome), `outcome ${r.json.outcome}`);
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.equal(phase(r, 'rollback').status, 'succeeded');
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'blue', version: 'v1' });
    assert.equal(s.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
  });

  test('abort during verify: the deploy ends aborted at once and live is untouched', async () => {
    // bad-health would keep verify retrying for 30s; abort must not wait for that.
    const deploy = ws.start(['deploy', 'bad-health'], { config: slowConfig });
    await ws.waitForPhase('verify');
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
    const r = await deploy.done;
    const tookMs = Date.now() - abortedAt;
    assert.ok(tookMs < 10_000, `the deploy took ${tookMs}ms to stop after abort`);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'aborted');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.equal(phase(r, 'verify').status, 'failed');
    assert.ok(!r.json.phases.some((p: Json) => p.name === 'switch'));
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'blue', version: 'v1' });
    assert.equal(s.operation, null);
    assert.deepEqual(await sample(main, 5), ['200 v1']);
  });
});

describe('resume after the deploying CLI is killed with SIGKILL', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    main = await withV1Live(ws);
  });
  after(() => ws.dispose());

  // Each kill starts from whatever the previous one left live, so the versions alternate.
  const cases: Array<{ at: string; version: string }> = [
    { at: 'provision', version: 'v2' },
    { at: 'verify', version: 'v3' },
    { at: 'switch', version: 'v2' },
    { at: 'monitor', version: 'v3' },
    { at: 'retire', version: 'v2' },
  ];
  for (const { at, version } of cases) {
    test(`killed during ${at}: resume finishes the deploy of ${version}`, async () => {
      const before = (await status(ws)).live;
      const target = before.color === 'blue' ? 'green' : 'blue';
      const deploy = ws.start(['deploy', version]);
      await ws.waitForPhase(at);
      process.kill(deploy.pid, 'SIGKILL');
      const killedAt = new Date().toISOString();
      const killed = await deploy.done;
      assert.equal(killed.signal, 'SIGKILL', `the deploy ended before it could be killed at ${at}: ${explain(killed)}`);
      assert.equal(ws.readState()?.operation?.phase, at, 'the record shows the interrupted phase');

      if (at === 'provision' || at === 'verify') {
        assert.deepEqual(await sample(main, 5), [`200 ${before.version}`], 'an unverified color must not take traffic');
      }

      const r = await ws.cli(['resume']);
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.json.outcome, 'promoted');
      assert.deepEqual(r.json.live, { color: target, version });
      if (at === 'provision' || at === 'verify') {
        // Checks passed by a process that then died prove nothing: resume must verify again.
        const verify = phase(r, 'verify');
        assert.equal(verify.status, 'succeeded');
        assert.ok(verify.startedAt > killedAt, `verify ran at ${verify.startedAt}, before the kill at ${killedAt}`);
      }
      const s = await status(ws);
      assert.deepEqual(s.live, { color: target, version });
      assert.equal(s.operation, null);
      assert.equal(s.colors[target].healthy, true);
      assert.equal(s.colors[before.color].state, 'retired');
      assert.deepEqual(await sample(main, 5), [`200 ${version}`]);
    });
  }
});

describe('the daemon is killed and started again', () => {
  let ws: ScenarioWorkspace;
  before(async () => {
    ws = ScenarioWorkspace.create();
    await withV1Live(ws);
    assert.equal((await ws.cli(['deploy', 'v2'])).code, 0);
  });
  after(() => ws.dispose());

  test('after kill -9 and `cutover up`, green still serves v2', async () => {
    const pid = ws.daemonPid();
    const oldReplicas: number[] = (ws.readDaemonSnapshot()?.colors?.green?.replicas ?? []).map((r: Json) => r.pid);
    assert.equal(oldReplicas.length, 2);
    assert.ok(oldReplicas.every((p) => Number.isInteger(p) && p > 0), `replica pids recorded: ${oldReplicas.join(', ')}`);
    process.kill(pid, 'SIGKILL');
    await waitUntilDead(pid);
    const { main, pid: newPid } = await ws.up();
    assert.notEqual(newPid, pid);
    const s = await status(ws);
    assert.deepEqual(s.live, { color: 'green', version: 'v2' });
    assert.equal(s.colors.green.healthy, true);
    assert.deepEqual([s.colors.green.ready, s.colors.green.desired], [2, 2]);
    assert.deepEqual(s.warnings, []);
    assert.deepEqual(await sample(main, 5), ['200 v2']);
    // Adopted or restarted, but never orphaned: each old replica is managed again or gone.
    const managed: number[] = (ws.readDaemonSnapshot()?.colors?.green?.replicas ?? []).map((r: Json) => r.pid);
    for (const old of oldReplicas) assert.ok(managed.includes(old) || !isProcessAlive(old), `replica pid ${old} of the killed daemon runs unmanaged`);
  });
});
