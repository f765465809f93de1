import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleServerSource } from '../../demo/example-app.ts';
import { Daemon, type DaemonOptions } from './daemon.ts';
import { LocalDriver } from './local-driver.ts';
import { localPaths } from './paths.ts';

/**
 * Given a daemon serving blue with green holding a weighted share and maintenance on,
 * when the daemon dies and a new one starts from its snapshot,
 * then the new one serves the same: blue live, the same split, maintenance still on.
 */
test('a restarted daemon restores the live color, the weighted split and maintenance', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-restore-'));
  for (const version of ['r1', 'r2']) {
    mkdirSync(join(dir, 'releases', version), { recursive: true });
    writeFileSync(join(dir, 'releases', version, 'server.js'), exampleServerSource());
  }
  const stateDir = join(dir, '.cutover');
  const options: DaemonOptions = {
    stateDir,
    router: { listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 1_000 },
    maintenance: { retryAfterSec: 5 },
    readyTimeoutMs: 10_000,
  };
  const platform = {
    kind: 'local' as const, command: ['node', 'server.js'], cwd: join(dir, 'releases', '${version}'), env: {}, replicas: 1,
    readyTimeoutMs: 10_000, stopTimeoutMs: 5_000, restart: { backoffMs: 100, maxBackoffMs: 1_000, crashLoopRestarts: 3, windowMs: 30_000 },
  };
  let first: Daemon | null = await Daemon.start(options);
  let second: Daemon | null = null;
  const driver = new LocalDriver(platform, stateDir);
  try {
    await driver.provision('blue', { version: 'r1' }, {});
    await driver.waitReady('blue', { timeoutMs: 10_000 });
    await driver.switchTraffic('blue');
    await driver.provision('green', { version: 'r2' }, {});
    await driver.waitReady('green', { timeoutMs: 10_000 });
    await driver.admin.call('PUT', '/split', { weights: { blue: 70, green: 30 } });
    await driver.maintenance(true, 'restore test');
    const snapshot = readFileSync(localPaths(stateDir).daemonState, 'utf8');

    // The daemon dies; its record survives (a real crash leaves it in place).
    await first.shutdown();
    first = null;
    writeFileSync(localPaths(stateDir).daemonState, snapshot);
    second = await Daemon.start(options);
    // The replicas died with the first daemon: the second starts them again and checks them
    // before they take traffic.
    await second.restoring;

    assert.equal(second.restored, true);
    assert.equal(second.router.live, 'blue');
    const split = second.router.stats().split;
    assert.ok(split, 'the split is back in force');
    assert.equal(split.canary, 'green');
    assert.equal(second.router.stats().maintenance, true);
  } finally {
    await driver.close();
    await first?.shutdown();
    await second?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
