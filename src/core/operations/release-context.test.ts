// The releases the migration gates see come from the platform's store, whatever holds it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyState } from '../types.ts';
import { recordedReleases, releaseForManualRun } from './release-context.ts';
import { MemoryStateStore } from '../../../test/support/memory-store.ts';

/** A record as the state ConfigMap holds it mid-release: green live on v2, blue not yet retired on v1. */
function midRelease(): MemoryStateStore {
  const store = new MemoryStateStore();
  const state = emptyState('shop-api');
  state.live = 'green';
  state.colors.green = { ...state.colors.green, version: 'v2', state: 'live' };
  state.colors.blue = { ...state.colors.blue, version: 'v1', state: 'ready' };
  state.releases = ['v1', 'v2'];
  store.state = state;
  return store;
}

describe('the releases on record', () => {
  test('every color that is not empty or retired runs its release; the live one is named', async () => {
    const releases = await recordedReleases(midRelease());
    assert.deepEqual(releases, { running: [{ color: 'blue', version: 'v1' }, { color: 'green', version: 'v2' }], releaseOrder: ['v1', 'v2'], live: { color: 'green', version: 'v2' } });
    assert.equal(releaseForManualRun(releases), 'v2');
  });

  test('a retired color runs nothing; with nothing live a manual run records the newest running release', async () => {
    const store = midRelease();
    store.state!.colors.blue.state = 'retired';
    store.state!.live = null;
    store.state!.colors.green.state = 'verified';
    const releases = await recordedReleases(store);
    assert.deepEqual(releases.running, [{ color: 'green', version: 'v2' }]);
    assert.equal(releases.live, null);
    assert.equal(releaseForManualRun(releases), 'v2');
  });

  test('no record: nothing was ever deployed', async () => {
    const releases = await recordedReleases(new MemoryStateStore());
    assert.deepEqual(releases, { running: [], releaseOrder: [], live: null });
    assert.equal(releaseForManualRun(releases), 'unreleased');
  });
});
