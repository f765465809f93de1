// waitReady's poll and its timeout belong to the operation, so they run on the driver's Clock:
// a release that never listens is given up on when virtual time, not real time, runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { LocalDriver } from './local-driver.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

test('waitReady gives up on a release that never listens when its timeout passes on the injected clock', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-wait-ready-'));
  mkdirSync(join(dir, 'releases', 'mute'), { recursive: true });
  // Alive but never listening on PORT: not ready, and not crash-looping either.
  writeFileSync(join(dir, 'releases', 'mute', 'server.js'), 'setInterval(() => {}, 1_000);\n');
  const stateDir = join(dir, '.cutover');
  const daemon = await Daemon.start({
    stateDir,
    router: { listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 1_000 },
    maintenance: { retryAfterSec: 5 },
    readyTimeoutMs: 600_000,
  });
  const clock = new VirtualClock();
  const driver = new LocalDriver({
    kind: 'local', command: ['node', 'server.js'], cwd: join(dir, 'releases', '${version}'), env: {}, replicas: 1,
    readyTimeoutMs: 600_000, stopTimeoutMs: 2_000, restart: { backoffMs: 100, maxBackoffMs: 200, crashLoopRestarts: 3, windowMs: 30_000 },
  }, stateDir, undefined, clock);
  try {
    await driver.provision('blue', { version: 'mute' }, {});
    const start = clock.now();
    const realStart = Date.now();
    const error = await clock.run(driver.waitReady('blue', { timeoutMs: 60_000 })).catch((e: unknown) => e);
    assert.match(String(error), /blue did not become ready within 60s \(0\/1 accepting connections/);
    assert.equal(clock.now() - start, 60_000, 'the timeout passed on the clock');
    assert.ok(Date.now() - realStart < 20_000, `a minute of virtual time took ${Date.now() - realStart}ms of real time`);
  } finally {
    await driver.close();
    await daemon.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
