import { formatDuration } from '../../config/duration.ts';
import { phaseTimes } from '../guardrails/phase-times.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { declined, PhaseFailure } from '../engine/phase-outcome.ts';
import { decideOnFailure } from '../rollback-policy.ts';
import type { Color } from '../types.ts';
import { holdForDecision } from './hold.ts';
import { watchColor, watchNotes, type WatchResult } from './watch.ts';

/**
 * The bake window: the new color serves all traffic while cutover watches its builtin signals
 * (replica events, ready count, health per replica and through the main listener, real traffic
 * against the old color before the switch) and runs post-promotion analysis. A breach, or a
 * `cutover rollback`, ends it with a rollback; `cutover finalize` ends it early as a success.
 * With all traffic on the new color the decision tree rolls back on a critical failure and holds
 * (waiting for a person) otherwise. The first release has nothing to roll back to, so it has no
 * bake window.
 */
export async function monitor(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { durationMs } = ctx.deps.settings.monitor;
  const from = ctx.op.from;
  if (!from || from === color || !ctx.state.colors[from].version) {
    await ctx.beginPhase('monitor', `no bake window for the first release`);
    await ctx.endPhase('skipped', `first release: nothing to roll back to, so no bake window (monitor.duration ${formatDuration(durationMs)} skipped)`);
    return;
  }
  await ctx.beginPhase('monitor', `watching ${color} for ${formatDuration(durationMs)}`);
  const switchTimes = phaseTimes(ctx.op, 'switch');
  const switchedAt = switchTimes?.end ?? ctx.clock.now();
  const baseline = ctx.trafficBaseline;
  const reference = { at: switchedAt, label: 'after the switch', baseline, eventsSince: switchTimes?.start, earlier: 'during the switch (real traffic had reached it)' };
  const result = await watchColor(ctx, color, version, durationMs, { allowFinalize: true, reference });
  const { report, breach } = result;
  if (report) ctx.notifyVerdict('post-promotion', report.verdict, report.summary);
  const notes = watchNotes(result);
  const data = { ...(report ? { analysis: report.data } : {}), ...verdictData(result, durationMs) };
  if (breach) {
    const decision = decideOnFailure({ trafficPercent: 100, critical: result.critical });
    if (decision.action === 'hold') {
      const answer = await holdForDecision(ctx, 'post-promotion', `${breach}; ${decision.reason}`, { ...data, decision });
      if (answer === 'rollback') {
        const why = `${breach}; held (${decision.reason}), then rolled back on request`;
        await ctx.endPhase('failed', `${why} (${notes})`, { ...data, decision });
        throw declined(why, { ...data, decision });
      }
      await ctx.endPhase('succeeded', `${breach}; held (${decision.reason}), then promoted with \`cutover promote\` (${notes})`, { ...data, decision });
      return;
    }
    const early = result.elapsedMs < durationMs ? `; bake window ended after ${formatDuration(result.elapsedMs)} of ${formatDuration(durationMs)}` : '';
    // A `cutover rollback` / `cutover abort` during the window is a person's decision, not a breach.
    throw new PhaseFailure(`${breach}${early} (${notes})`, { ...data, critical: result.critical, decision }, result.signal === 'request' ? 'declined' : 'failed');
  }
  await ctx.endPhase('succeeded', `${result.finalized ? 'ended early by cutover finalize; ' : ''}${notes} over ${formatDuration(result.elapsedMs)}`, data);
}

/** The verdict as data for `deploy --json`, `history` and `status`: which signal, its evidence, when. */
function verdictData(result: WatchResult, durationMs: number): Record<string, unknown> {
  return {
    verdict: {
      signal: result.signal,
      evidence: result.breach,
      elapsedMs: result.elapsedMs,
      windowMs: durationMs,
      endedEarly: result.breach !== null && result.elapsedMs < durationMs,
    },
    replicaEvents: result.events,
    traffic: result.traffic,
  };
}
