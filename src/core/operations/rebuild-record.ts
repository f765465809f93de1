import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { COLORS, type AppState, type ColorState } from '../types.ts';
import { OperationContext } from '../engine/operation-context.ts';
import { recordDisagreement } from './record-disagreement.ts';

/** What `rebuildRecord` did. */
export interface RebuildResult {
  rebuilt: boolean;
  message: string;
  live: { color: AppState['live']; version: string | null };
}

/**
 * Rebuilds the record of what runs where from the platform (the daemon's router and processes,
 * or the cluster), for when the record was lost or no longer matches: the live color and each
 * color's version come from reality. Takes the operation lock. Idempotent: with nothing to
 * fix it changes nothing.
 * @throws CutoverError('refused') while an operation is recorded (that is `resume`'s job);
 *   CutoverError('unreachable') when the platform cannot be asked.
 */
export async function rebuildRecord(deps: CoreDeps): Promise<RebuildResult> {
  const ctx = await OperationContext.open(deps, 'rebuild record');
  try {
    const state = ctx.state;
    if (state.operation) {
      throw new CutoverError('refused', `an interrupted ${state.operation.kind} of ${state.operation.version ?? '-'} is recorded; run \`cutover resume\` to finish it or \`cutover abort\` to undo it`);
    }
    const platform = await deps.driver.status();
    const stored = await deps.store.load();
    const disagreement = recordDisagreement(stored, platform);
    const live = () => ({ color: state.live, version: state.live ? state.colors[state.live].version : null });
    if (!disagreement) return { rebuilt: false, message: 'the record matches the platform; nothing to rebuild', live: live() };
    const now = new Date(ctx.clock.now()).toISOString();
    for (const color of COLORS) {
      const real = platform.colors[color];
      const record = state.colors[color];
      const realState: ColorState = !real.version ? 'empty' : platform.live === color ? 'live' : real.desired > 0 ? 'ready' : 'retired';
      if (record.version === real.version && record.state === realState) continue;
      // Reconciling, not a transition: the record takes reality's word, whatever it said before.
      state.colors[color] = { ...record, version: real.version ?? record.version, state: real.version ? realState : record.version ? 'retired' : 'empty', since: now };
      if (real.version && !state.releases.includes(real.version)) state.releases.push(real.version);
    }
    state.live = platform.live;
    await ctx.save();
    const message = `rebuilt the record from the platform: ${disagreement}; the record now says ${state.live ? `${state.live} (${state.colors[state.live].version}) is live` : 'nothing is live'}`;
    await ctx.history({ event: 'finished', kind: 'maintenance', message });
    return { rebuilt: true, message, live: live() };
  } finally {
    await ctx.close();
  }
}
