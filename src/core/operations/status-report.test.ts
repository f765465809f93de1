// Reconciliation in the core: what `status` and `doctor` report, read from a platform and a
// store in memory, with the facts the CLI acts on (exit 1, `doctor --fix`) as data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from '../errors.ts';
import { deploy } from './deploy.ts';
import { diagnose } from './diagnose.ts';
import { readStatus } from './status-report.ts';
import { memoryPlatform } from '../../../test/support/memory-platform.ts';

describe('status and doctor in the core', { concurrency: 1 }, () => {
  test('after a deploy, record and platform agree and the live color is healthy', async () => {
    const { deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    const { report, disagreement, liveFailing } = await readStatus(deps);
    assert.deepEqual(report.live, { color: 'blue', version: 'v1' });
    assert.equal(report.colors.blue.healthy, true);
    assert.equal(report.colors.blue.ready, 2);
    assert.equal(report.operation, null);
    assert.deepEqual(report.warnings, []);
    assert.equal(disagreement, null);
    assert.equal(liveFailing, false);
  });

  test('a live color with no ready replica is failing live traffic, and said in capitals', async () => {
    const { driver, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    driver.colors.blue.ready = 0;
    const { report, liveFailing } = await readStatus(deps);
    assert.equal(liveFailing, true);
    assert.equal(report.colors.blue.healthy, false);
    assert.match(report.warnings.join('\n'), /THE LIVE COLOR BLUE HAS NO READY REPLICAS/);
  });

  test('the platform routing elsewhere than the record says is a disagreement; doctor --fix rebuilds the record', async () => {
    const { driver, store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await driver.provision('green', { version: 'v2', flags: {} } as never);
    await driver.switchTraffic('green');
    const { disagreement } = await readStatus(deps);
    assert.match(disagreement ?? '', /record says blue \(v1\) is live, but the platform routes live traffic to green \(v2\)/);

    const found = await diagnose(deps, { configPath: 'cutover.yaml', platformKind: 'local' });
    const record = found.find((f) => f.check === 'record vs reality');
    assert.equal(record?.verdict, 'problem');
    assert.equal(store.state?.live, 'blue', 'doctor without --fix changes nothing');

    const fixed = await diagnose(deps, { fix: true, configPath: 'cutover.yaml', platformKind: 'local' });
    assert.match(fixed.find((f) => f.check === 'record vs reality')?.detail ?? '', /^fixed: /);
    assert.equal(store.state?.live, 'green');
    assert.equal((await readStatus(deps)).disagreement, null);
  });

  test('an unreachable platform is reported, not thrown; doctor names it a problem and says what to run', async () => {
    const { driver, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    driver.status = async () => { throw new CutoverError('unreachable', 'no daemon answers on .cutover/daemon.sock'); };
    const { report } = await readStatus(deps);
    assert.deepEqual(report.platform, { reachable: false, live: null, error: 'no daemon answers on .cutover/daemon.sock' });
    const platform = (await diagnose(deps, { configPath: 'cutover.yaml', platformKind: 'local' })).find((f) => f.check === 'platform');
    assert.deepEqual(platform, { check: 'platform', verdict: 'problem', detail: 'no daemon answers on .cutover/daemon.sock', fix: 'run `cutover up`' });
  });

  test('a lock whose holder died is a warning in status and in doctor, naming the holder', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await store.acquireLock({ pid: 4242, host: 'ci-7', command: 'deploy', since: new Date().toISOString() });
    store.crash();
    assert.match((await readStatus(deps)).report.warnings.join('\n'), /the lock is held by deploy \(pid 4242 on ci-7\), which is gone/);
    const lock = (await diagnose(deps, { configPath: 'cutover.yaml', platformKind: 'local' })).find((f) => f.check === 'lock');
    assert.equal(lock?.verdict, 'warning');
    assert.match(lock?.detail ?? '', /held by deploy \(pid 4242 on ci-7\), which is gone/);
  });

  test('a lock that cannot be read is one warning, and the other checks still run', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    store.lockHolder = async () => { throw new CutoverError('unreachable', 'leases is forbidden'); };
    assert.match((await readStatus(deps)).report.warnings.join('\n'), /cannot read the lock: leases is forbidden/);
    const found = await diagnose(deps, { configPath: 'cutover.yaml', platformKind: 'kubernetes' });
    assert.deepEqual(found.filter((f) => f.check === 'lock'), [{ check: 'lock', verdict: 'warning', detail: 'cannot read the lock: leases is forbidden' }]);
    assert.equal(found.find((f) => f.check === 'live color')?.verdict, 'ok');
  });
});
