import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyState, type AppState } from '../types.ts';
import { chooseReleaseFlags } from './release-flags.ts';

function blueLive(): AppState {
  const state = emptyState('shop', new Date('2026-12-01T10:00:00Z'));
  state.live = 'blue';
  state.colors.blue = { version: 'v1', state: 'live', since: '2026-12-01T10:00:00.000Z' };
  state.colors.green = { version: 'v0', state: 'retired', since: '2026-12-01T10:00:00.000Z' };
  state.flags = { blue: { beta: true }, green: { stale: 1 } };
  return state;
}

test('by default the new release inherits the live color\'s flags, not the stale ones left on the idle color', () => {
  const chosen = chooseReleaseFlags(blueLive(), 'green', 'auto', { fromConfig: 1 });
  assert.deepEqual(chosen.flags, { beta: true });
  assert.equal(chosen.source, 'live');
  assert.equal(chosen.reason, 'inherited from live blue (v1)');
});

test('flags set on the idle color after the live color went live were staged for this release and are kept', () => {
  const state = blueLive();
  state.flags.green = { beta: true, new_checkout: true };
  state.flagsChangedAt = { green: '2026-12-01T11:00:00.000Z' };
  const chosen = chooseReleaseFlags(state, 'green', 'auto', {});
  assert.deepEqual(chosen.flags, { beta: true, new_checkout: true });
  assert.equal(chosen.source, 'idle');
  assert.match(chosen.reason, /set on green with `cutover flags` for this release/);
});

test('flags changed on the idle color before the live color went live are stale: the live ones win', () => {
  const state = blueLive();
  state.flagsChangedAt = { green: '2026-12-01T09:00:00.000Z' };
  assert.deepEqual(chooseReleaseFlags(state, 'green', 'auto', {}).flags, { beta: true });
});

test('told otherwise: idle keeps the target\'s flags, defaults takes the config, live copies live', () => {
  const state = blueLive();
  assert.deepEqual(chooseReleaseFlags(state, 'green', 'idle', {}).flags, { stale: 1 });
  assert.deepEqual(chooseReleaseFlags(state, 'green', 'defaults', { fromConfig: 1 }).flags, { fromConfig: 1 });
  state.flagsChangedAt = { green: '2026-12-01T11:00:00.000Z' };
  assert.deepEqual(chooseReleaseFlags(state, 'green', 'live', {}).flags, { beta: true });
});

test('a first deploy (nothing live) keeps the target\'s flags, the config defaults it was seeded with', () => {
  const state = emptyState('shop');
  state.flags.blue = { fromConfig: 1 };
  const chosen = chooseReleaseFlags(state, 'blue', 'auto', { fromConfig: 1 });
  assert.deepEqual(chosen.flags, { fromConfig: 1 });
  assert.equal(chosen.source, 'idle');
});
