import type { Clock } from '../deps.ts';
import { systemClock } from '../deps.ts';
import type { StateStore } from '../store.ts';
import { assertColorMove } from '../transitions.ts';
import { COLORS, type AppState, type Color, type ColorState } from '../types.ts';

/**
 * The record after the platform itself stopped or started, outside any operation: `cutover down`
 * stopped every process, a daemon started without its own record runs nothing, or a daemon
 * brought back the release that was live. Every color change goes through the color
 * transitions, and the record is saved through the store, like an operation's.
 * The caller holds the operation lock where one is needed (`down` does).
 */

/** Records every release that ran as retired and nothing as live. */
function retireEverything(state: AppState, at: string): void {
  for (const color of COLORS) {
    const record = state.colors[color];
    if (!record.version || record.state === 'empty' || record.state === 'retired') continue;
    assertColorMove(color, record.state, 'retired');
    record.state = 'retired';
    record.since = at;
  }
  state.live = null;
}

/** Moves `color` through `path` (each step a legal move), as the platform took it there. */
function walkColor(state: AppState, color: Color, path: readonly ColorState[], at: string): void {
  const record = state.colors[color];
  for (const next of path) {
    assertColorMove(color, record.state, next);
    record.state = next;
  }
  record.since = at;
}

/**
 * `cutover down` stopped the daemon and every release process: nothing is live, and an
 * operation in progress can no longer go on (its processes are gone). Writes nothing when the
 * record already says so and nothing was running.
 * @returns true when the record changed.
 */
export async function recordPlatformStopped(store: StateStore, options: { wasRunning: boolean; clock?: Clock }): Promise<boolean> {
  const state = await store.load();
  if (!state || (!options.wasRunning && state.live === null && state.operation === null)) return false;
  const at = new Date((options.clock ?? systemClock).now()).toISOString();
  retireEverything(state, at);
  state.operation = null;
  state.updatedAt = at;
  await store.save(state);
  await store.appendHistory({ at, operationId: 'down', kind: 'maintenance', event: 'finished', message: 'cutover down: all processes stopped' });
  return true;
}

/**
 * A daemon that started without its own record (none, a damaged one, or `--fresh`) runs nothing
 * and routes nowhere, whatever the record says: as after `down`, it must not claim a live color,
 * or every later deploy is refused as "record and reality disagree". An interrupted operation
 * is left for `resume`, which reconciles it against reality.
 * @returns true when the record changed.
 */
export async function recordStartedEmpty(store: StateStore, clock: Clock = systemClock): Promise<boolean> {
  const state = await store.load();
  if (!state || state.operation || state.live === null) return false;
  const was = `${state.live} (${state.colors[state.live].version})`;
  const at = new Date(clock.now()).toISOString();
  retireEverything(state, at);
  state.updatedAt = at;
  await store.save(state);
  await store.appendHistory({ at, operationId: 'up', kind: 'maintenance', event: 'finished', message: `cutover up: started without the daemon's record, so nothing runs; ${was} is no longer recorded as live (deploy to serve traffic again)` });
  return true;
}

/** How a color in each state comes back live: started again where it had stopped, then ready, verified, live. */
const RESTORE_PATH: Readonly<Record<ColorState, readonly ColorState[]>> = {
  empty: ['provisioning', 'ready', 'verified', 'live'],
  retired: ['provisioning', 'ready', 'verified', 'live'],
  failed: ['provisioning', 'ready', 'verified', 'live'],
  provisioning: ['ready', 'verified', 'live'],
  ready: ['verified', 'live'],
  verified: ['live'],
  live: [],
};

/**
 * `down` recorded every color as retired. When `up` brought the live release back and it
 * passed its health checks, the record says so again, so `status` and the next deploy see it
 * live: the color was started again, became ready, was verified and took traffic.
 * @returns true when the record changed.
 */
export async function recordRestored(store: StateStore, restored: { color: Color; version: string; detail: string }, clock: Clock = systemClock): Promise<boolean> {
  const state = await store.load();
  if (!state || state.live !== null || state.colors[restored.color].version !== restored.version) return false;
  const at = new Date(clock.now()).toISOString();
  const from = state.colors[restored.color].state;
  walkColor(state, restored.color, RESTORE_PATH[from], at);
  state.live = restored.color;
  state.updatedAt = at;
  await store.save(state);
  await store.appendHistory({ at, operationId: 'up', kind: 'maintenance', event: 'finished', live: { color: restored.color, version: restored.version }, message: `cutover up: brought back ${restored.color} (${restored.version}) after its health checks: ${restored.detail}` });
  return true;
}
