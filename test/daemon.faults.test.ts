import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { findReplicaProcesses } from '../src/drivers/local/orphan-replicas.ts';
import { isProcessAlive } from '../src/process/process-alive.ts';
import { localPaths } from '../src/drivers/local/paths.ts';
import { adminRaw } from './support/admin-raw.ts';
import { DaemonFixture } from './support/local-daemon.ts';
import { get, sample, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function explain(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

async function waitUntilDead(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function replicaPids(ws: ScenarioWorkspace): number[] {
  const snapshot = ws.readDaemonSnapshot();
  return ['blue', 'green'].flatMap((c) => snapshot?.colors?.[c]?.replicas ?? []).map((r: Json) => r.pid).filter((p: unknown) => typeof p === 'number');
}

/** Temp files anywhere under `dir` (logs/ included), named relative to it. */
function tempFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.tmp'));
}

/** Writes into `dir` until the kernel says the disk is full. */
function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
}

const isRoot = process.getuid?.() === 0;

/**
 * Given the state directory on a 2 MiB tmpfs, with v1 live,
 * when the disk fills up,
 * then a maintenance change and a deploy are refused with a message naming the mount point,
 * traffic and maintenance stay as they were, no .tmp file is left anywhere under the state
 * directory (logs included), nothing is exit 70, and once space is back the next deploy works.
 */
describe('a disk that fills', { skip: isRoot ? false : 'needs root to mount a tmpfs (CI runs as root)' }, () => {
  let ws: ScenarioWorkspace;
  let stateDir: string;
  let mounted = false;
  before(async () => {
    ws = ScenarioWorkspace.create();
    stateDir = join(ws.dir, '.cutover');
    mkdirSync(stateDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', stateDir]);
    mounted = true;
    await ws.up();
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(async () => {
    execFileSync('rm', ['-f', join(stateDir, 'filler')]);
    // The daemon keeps daemon.log open on the mount: stop it directly, then unmount.
    const pid = existsSync(join(stateDir, 'daemon.pid')) ? ws.daemonPid() : 0;
    if (pid && isProcessAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      await waitUntilDead(pid, 30_000).catch(() => process.kill(pid, 'SIGKILL'));
    }
    for (const replica of findReplicaProcesses(stateDir)) process.kill(-replica, 'SIGKILL');
    if (mounted) execFileSync('umount', ['-l', stateDir]);
    await ws.dispose();
  });

  test('changes are refused with the disk named, and nothing is half-done', { timeout: 120_000 }, async () => {
    const { main } = await ws.up(); // already running: prints its addresses
    fillDisk(stateDir);
    const socket = localPaths(stateDir).socket;

    const maintenance = await adminRaw(socket, 'PUT', '/maintenance', JSON.stringify({ on: true, message: 'x' }));
    assert.equal(maintenance.status, 409, maintenance.body);
    assert.match(JSON.parse(maintenance.body).error.message, new RegExp(`no space left on the filesystem mounted at ${stateDir}`));
    assert.deepEqual(await sample(main, 3), ['200 v1'], 'maintenance did not turn on');

    const cli = await ws.cli(['maintenance', 'on']);
    assert.notEqual(cli.code, 0, 'a maintenance change on a full disk is not reported as done');
    assert.notEqual(cli.code, 70, `a full disk is not a bug: ${explain(cli)}`);
    assert.match(`${cli.stderr}${cli.stdout}`, /no space left/i);
    assert.deepEqual(await sample(main, 3), ['200 v1']);
    assert.deepEqual(tempFiles(stateDir), [], 'no temp file left behind');

    // Space comes back: the same change now works and is on disk.
    // (Through the admin API: the CLI's lock file, torn by the full disk, is recovered by the
    // lock implementation, which this suite does not cover.)
    execFileSync('rm', [join(stateDir, 'filler')]);
    const again = await adminRaw(socket, 'PUT', '/maintenance', JSON.stringify({ on: true, message: 'x' }));
    assert.equal(again.status, 200, again.body);
    assert.equal((await get(main)).status, 503);
    assert.equal(ws.readDaemonSnapshot().maintenance.on, true);
    assert.equal((await adminRaw(socket, 'PUT', '/maintenance', JSON.stringify({ on: false }))).status, 200);
  });

  test('a deploy on the full disk fails with the reason and leaves v1 serving; once space is back, the next deploy works', { timeout: 180_000 }, async () => {
    const { main } = await ws.up();
    fillDisk(stateDir);
    const full = await ws.cli(['deploy', 'v2']);
    assert.notEqual(full.code, 0, `a deploy on a full disk is not reported as done: ${explain(full)}`);
    assert.notEqual(full.code, 70, `a full disk is not a bug: ${explain(full)}`);
    assert.match(`${full.stderr}${full.stdout}`, new RegExp(`no space left on the filesystem mounted at ${stateDir}`), explain(full));
    assert.doesNotMatch(full.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(await sample(main, 3), ['200 v1'], 'v1 still serves');
    assert.deepEqual(tempFiles(stateDir), [], 'no temp file left behind');

    execFileSync('rm', [join(stateDir, 'filler')]);
    const again = await ws.cli(['deploy', 'v2']);
    assert.equal(again.code, 0, explain(again));
    assert.deepEqual(await sample(main, 3), ['200 v2']);
    assert.deepEqual(tempFiles(stateDir), []);
  });
});

/**
 * Given v1 live on two replicas, when the daemon is killed and its record is damaged (empty,
 * torn in half, or the wrong shape), then the next `up` keeps the damaged file aside, stops
 * the replicas it can no longer manage (none is left running unmanaged), and says so.
 */
describe('a damaged daemon.json', () => {
  let ws: ScenarioWorkspace;
  before(async () => {
    ws = ScenarioWorkspace.create();
    await ws.up();
  });
  after(() => ws.dispose());

  const damage: Array<[string, (text: string) => string]> = [
    ['empty', () => ''],
    ['torn in half', (text) => text.slice(0, Math.floor(text.length / 2))],
    ['the wrong shape', () => '[]'],
  ];
  for (const [what, mangle] of damage) {
    test(`${what}: up stops the replicas it cannot adopt`, { timeout: 120_000 }, async () => {
      const deploy = await ws.cli(['deploy', 'v1', '--force']);
      assert.equal(deploy.code, 0, explain(deploy));
      const replicas = replicaPids(ws);
      assert.ok(replicas.length >= 2, `replicas recorded: ${replicas.join(', ')}`);
      const daemon = ws.daemonPid();
      process.kill(daemon, 'SIGKILL');
      await waitUntilDead(daemon);
      const path = join(ws.dir, '.cutover', 'daemon.json');
      writeFileSync(path, mangle(readFileSync(path, 'utf8')));

      const up = await ws.cli(['up']);
      assert.equal(up.code, 0, explain(up));
      assert.ok(up.json.notes.some((n: string) => /could not be read/.test(n)), JSON.stringify(up.json.notes));
      for (const pid of replicas) await waitUntilDead(pid, 15_000);
      assert.deepEqual(findReplicaProcesses(join(ws.dir, '.cutover')).filter((p) => !replicaPids(ws).includes(p)), [], 'no replica runs unmanaged');
      assert.ok(readdirSync(join(ws.dir, '.cutover')).some((n) => n.startsWith('daemon.json.corrupt-')), 'the damaged file is kept for inspection');
    });
  }
});

/**
 * Given a daemon serving blue, when the admin API gets thousands of random requests (methods,
 * paths with arbitrary bytes and percent-escapes, JSON and non-JSON bodies), then every one
 * gets an answer below 500, and the daemon and router still serve afterwards.
 */
test('admin API fuzz: no request takes the daemon down or gets a 500', { timeout: 180_000 }, async () => {
  const fx = new DaemonFixture();
  try {
    const daemon = await fx.start();
    await fx.run('blue', 'r1', true);
    const socket = localPaths(fx.stateDir).socket;
    const segment = fc.oneof(
      fc.constantFrom('colors', 'blue', 'green', 'flags', 'switch', 'split', 'maintenance', 'status', 'traffic', 'metrics', 'counters', 'events', '%E0%A4%A', '%', '%ZZ', '..', ''),
      fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
      fc.stringMatching(/^[%0-9A-Fa-f]{1,9}$/),
    );
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    const jsonBody = fc.oneof(
      fc.jsonValue(),
      fc.record({ to: fc.oneof(fc.constantFrom('blue', 'green', 'red'), fc.jsonValue()) }, { requiredKeys: [] }),
      fc.record({ on: fc.oneof(fc.boolean(), fc.jsonValue()), message: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({ weights: fc.jsonValue(), flags: fc.jsonValue(), rolling: fc.jsonValue(), version: fc.jsonValue(), command: fc.jsonValue() }, { requiredKeys: [] }),
    ).map((v) => JSON.stringify(v));
    const body = fc.option(fc.oneof(jsonBody, fc.string({ maxLength: 40 })), { nil: undefined });
    const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH');
    await fc.assert(fc.asyncProperty(method, path, body, async (m, p, b) => {
      if (p.startsWith('/shutdown')) return;
      const answer = await adminRaw(socket, m, p, b);
      assert.ok(answer.status >= 200 && answer.status < 500, `${m} ${p} ${b ?? ''} -> ${answer.status} ${answer.body}`);
    }), { numRuns: 1_500 });
    // The fuzz may have turned maintenance on or ended the split; it must not have broken anything.
    await adminRaw(socket, 'PUT', '/maintenance', JSON.stringify({ on: false }));
    assert.equal(daemon.router.live, 'blue');
    assert.equal((await get(daemon.router.address.main)).status, 200, 'the router still serves');
    assert.equal((await adminRaw(socket, 'GET', '/status')).status, 200);
  } finally {
    await fx.dispose();
  }
});

/**
 * Given v1 live, when the daemon is killed with SIGKILL while a deploy of the next version is
 * at each phase, then `up` brings the router back serving a color that was verified (never
 * an unverified one), no replica runs unmanaged, and `resume` ends the operation cleanly.
 */
describe('kill -9 of the daemon at each phase, then up', () => {
  let ws: ScenarioWorkspace;
  before(async () => {
    ws = ScenarioWorkspace.create();
    await ws.up();
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  const cases: Array<{ at: string; version: string }> = [
    { at: 'provision', version: 'v2' },
    { at: 'verify', version: 'v3' },
    { at: 'switch', version: 'v2' },
    { at: 'monitor', version: 'v3' },
    { at: 'retire', version: 'v2' },
  ];
  for (const { at, version } of cases) {
    test(`killed during ${at}`, { timeout: 180_000 }, async () => {
      const before = (await ws.cli(['status'])).json.live as { color: string; version: string };
      const deploy = ws.start(['deploy', version]);
      await ws.waitForPhase(at, 60_000);
      const daemon = ws.daemonPid();
      process.kill(daemon, 'SIGKILL');
      await waitUntilDead(daemon);
      await deploy.done;

      const { main } = await ws.up();
      const served = await sample(main, 5);
      assert.equal(served.length, 1, `one answer after up: ${served.join(', ')}`);
      const [status, servedVersion] = served[0]!.split(' ');
      assert.equal(status, '200', `the router serves after up: ${served[0]}`);
      if (at === 'provision' || at === 'verify') assert.equal(servedVersion, before.version, 'an unverified color never takes traffic');
      else assert.ok([before.version, version].includes(servedVersion!), served[0]);

      const resume = await ws.cli(['resume']);
      assert.ok(resume.code === 0 || resume.code === 1, `resume ends the operation (finished or rolled back): ${explain(resume)}`);
      const after = (await ws.cli(['status'])).json;
      assert.equal(after.operation, null, 'no operation left open');
      const live = after.live as { color: string; version: string };
      assert.deepEqual(await sample(main, 5), [`200 ${live.version}`]);
      const managed = replicaPids(ws);
      assert.deepEqual(findReplicaProcesses(join(ws.dir, '.cutover')).filter((p) => !managed.includes(p)), [], 'no replica runs unmanaged');
    });
  }
});
