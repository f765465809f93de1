import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHealth } from '../../checks/config-schema.ts';
import { DaemonFixture } from '../../../test/support/local-daemon.ts';
import { get } from '../../../test/support/workspace.ts';

/**
 * Given a daemon serving blue (r1) with green (r2) idle,
 * when it is stopped (`cutover down`, or a reboot that ends it the same way) and started again,
 * then it brings back blue's release alone, runs the health checks on it before any traffic
 * reaches it, and serves r1 again; the idle color stays stopped.
 */
test('up after down brings back the last live release, health-checked before it takes traffic', { timeout: 60_000 }, async () => {
  const health = normalizeHealth({ checks: [{ http: '/health/ready', json: 'checks' }], interval: '100ms', successes: 2, timeout: '10s' }, { baseDir: '/' });
  const fx = new DaemonFixture({ health });
  try {
    await fx.start();
    await fx.run('blue', 'r1', true);
    await fx.run('green', 'r2', false);
    await fx.daemon!.shutdown();

    const second = await fx.start();
    assert.equal(second.router.live, null, 'no traffic before the checks pass');
    assert.equal(second.restoreReport?.state, 'checking');
    assert.equal((await get(second.router.address.main)).status, 503);
    await second.restoring;
    assert.equal(second.restoreReport?.state, 'live', second.restoreReport?.detail);
    assert.match(second.restoreReport!.detail, /2 rounds|passed|healthy/i);
    assert.equal(second.router.live, 'blue');
    const answer = await get(second.router.address.main);
    assert.equal(answer.status, 200);
    assert.equal(answer.version, 'r1');
    assert.equal(second.supervisor.replicas('green').length, 0, 'the idle color is not brought back');
  } finally {
    await fx.dispose();
  }
});

/** Given the live release's directory is gone after a down, up reports the release as not brought back and serves 503, never an unchecked color. */
test('up after down does not switch to a release that fails its checks', { timeout: 60_000 }, async () => {
  const health = normalizeHealth({ checks: [{ http: '/health/ready' }], interval: '100ms', successes: 1, timeout: '2s' }, { baseDir: '/' });
  const fx = new DaemonFixture({ health, readyTimeoutMs: 3_000 });
  try {
    await fx.start();
    await fx.run('blue', 'r1', true);
    await fx.daemon!.shutdown();
    const { rmSync } = await import('node:fs');
    rmSync(`${fx.dir}/releases/r1`, { recursive: true });

    const second = await fx.start();
    await second.restoring;
    assert.equal(second.restoreReport?.state, 'failed');
    assert.equal(second.router.live, null);
    assert.equal((await get(second.router.address.main)).status, 503);
  } finally {
    await fx.dispose();
  }
});
