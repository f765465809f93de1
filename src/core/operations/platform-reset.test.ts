// The record after `down`, a daemon started without its record, and a daemon that brought the
// live release back: through the store, each color change a legal move.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deploy } from './deploy.ts';
import { recordPlatformStopped, recordRestored, recordStartedEmpty } from './platform-reset.ts';
import { memoryPlatform } from '../../../test/support/memory-platform.ts';

describe('the record when the platform stops or starts', { concurrency: 1 }, () => {
  test('down: every release that ran is retired, nothing is live, an unfinished operation is dropped', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', { noSwitch: true });
    assert.ok(store.state?.operation, 'v2 waits at the gate');
    assert.equal(await recordPlatformStopped(store, { wasRunning: true }), true);
    assert.equal(store.state?.live, null);
    assert.equal(store.state?.operation, null);
    assert.equal(store.state?.colors.blue.state, 'retired');
    assert.equal(store.state?.colors.green.state, 'retired');
    assert.equal(store.state?.colors.blue.version, 'v1', 'the versions stay, so `up` can bring v1 back');
    assert.equal(store.entries.at(-1)?.message, 'cutover down: all processes stopped');
  });

  test('down with nothing running and nothing recorded as live writes nothing', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await recordPlatformStopped(store, { wasRunning: true });
    const entries = store.entries.length;
    assert.equal(await recordPlatformStopped(store, { wasRunning: false }), false);
    assert.equal(store.entries.length, entries);
  });

  test('a daemon started without its record leaves an interrupted operation for resume, else records nothing live', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', { noSwitch: true });
    assert.equal(await recordStartedEmpty(store), false);
    assert.equal(store.state?.live, 'blue');
    store.state!.operation = null;
    assert.equal(await recordStartedEmpty(store), true);
    assert.equal(store.state?.live, null);
    assert.equal(store.state?.colors.blue.state, 'retired');
    assert.match(store.entries.at(-1)?.message ?? '', /blue \(v1\) is no longer recorded as live/);
  });

  test('a release brought back after down is live again, reached through verified', async () => {
    const { store, deps } = memoryPlatform();
    await deploy(deps, 'v1', {});
    await recordPlatformStopped(store, { wasRunning: true });
    assert.equal(await recordRestored(store, { color: 'blue', version: 'v1', detail: '2/2 healthy' }), true);
    assert.equal(store.state?.live, 'blue');
    assert.equal(store.state?.colors.blue.state, 'live');
    assert.deepEqual(store.entries.at(-1)?.live, { color: 'blue', version: 'v1' });
    assert.equal(await recordRestored(store, { color: 'green', version: 'v9', detail: '' }), false, 'a release the record does not name is not made live');
  });
});
