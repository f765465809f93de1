// A replica's port is chosen by probing, then closing the probe; the app binds it a moment
// later. Anything that takes the port in between (another app's listen(0), another daemon's
// replica) makes the app fail with EADDRINUSE. That is not the release's fault: the replica
// must move to a fresh port, not crash-loop on the taken one. Real processes (the release zoo's
// app), a real port held by another socket, real HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReplicaEventInput } from './replica-process.ts';
import { ReplicaProcess } from './replica-process.ts';
import type { LocalReleaseSpec } from './release-spec.ts';

const ZOO_APP = fileURLToPath(new URL('../../../test/release-zoo/zoo-app.cjs', import.meta.url));

function spec(command: string[]): LocalReleaseSpec {
  return {
    version: 'v2-good', command, cwd: tmpdir(), env: {}, replicas: 1, flags: {}, stopTimeoutMs: 2_000,
    restart: { backoffMs: 100, maxBackoffMs: 400, crashLoopRestarts: 3, windowMs: 30_000 },
  };
}

function versionServedOn(port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/items', agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.headers['x-cutover-version'] as string | undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(done: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('a replica whose port was taken before it could listen', { concurrency: 1 }, () => {
  let dir: string;
  let holder: Server;
  let taken: number;
  let replica: ReplicaProcess | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-port-taken-'));
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    taken = (holder.address() as { port: number }).port;
  });
  after(async () => {
    await replica?.stop();
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('given its port is held by another socket, when it starts, then it serves on a fresh port and no crash is counted', async () => {
    const events: ReplicaEventInput[] = [];
    replica = new ReplicaProcess({ color: 'green', index: 1, port: taken, spec: spec(['node', ZOO_APP]), logDir: dir, onChange: () => {}, onEvent: (e) => events.push(e) });
    replica.start();
    await until(() => (replica!.phase === 'ready' && replica!.port !== taken) || replica!.crashLooping, 15_000);

    assert.notEqual(replica.port, taken, `still on the taken port ${taken}: ${replica.describe()}; events: ${JSON.stringify(events.map((e) => e.detail))}`);
    assert.equal(replica.phase, 'ready', replica.describe());
    assert.equal(replica.restarts, 0, 'losing the port to someone else is not a crash of the release');
    assert.deepEqual(events, [], 'no exit is reported to the guardrails');
    assert.equal(await versionServedOn(replica.port), 'v2-good', 'the app itself answers on its new port');
    const log = readFileSync(replica.stderrPath, 'utf8');
    assert.match(log, new RegExp(`EADDRINUSE: address already in use 127\\.0\\.0\\.1:${taken}`));
    assert.match(log, new RegExp(`cutover: port ${taken} is held by another socket; green-1 starts on port ${replica.port} instead \\(its exit is not counted as a crash\\)`));
    await replica.stop();
  });

  test('given the app fails on a port of its own that is in use, then that is a crash, reported with its error, and the replica keeps its port', async () => {
    // The app listens on PORT and on a fixed port of its own, which is taken: a bug or a
    // clash in the app's setup that a fresh PORT cannot fix.
    const app = `const http = require('node:http'); http.createServer().listen(Number(process.env.PORT), '127.0.0.1'); http.createServer().listen(${taken}, '127.0.0.1');`;
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => { const { port } = probe.address() as { port: number }; probe.close(() => resolve(port)); });
    });
    const events: ReplicaEventInput[] = [];
    replica = new ReplicaProcess({ color: 'green', index: 0, port: free, spec: spec(['node', '-e', app]), logDir: dir, onChange: () => {}, onEvent: (e) => events.push(e) });
    replica.start();
    await until(() => events.some((e) => e.kind === 'exited'), 15_000);

    const exit = events.find((e) => e.kind === 'exited');
    assert.ok(exit, `no exit reported: ${replica.describe()}`);
    assert.match(exit.detail, new RegExp(`^green-0 exited with code 1: Error: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${taken}`));
    assert.equal(replica.port, free, 'its own PORT was free: nothing to move away from');
    assert.ok(replica.restarts >= 1);
    await replica.stop();
  });
});
