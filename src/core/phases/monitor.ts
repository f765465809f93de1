import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../operations/operation-context.ts';
import { PhaseFailure } from '../operations/operation-context.ts';
import { decideOnFailure } from '../rollback-policy.ts';
import type { Color } from '../types.ts';
import { holdForDecision } from './hold.ts';
import { watchColor, watchNotes } from './watch.ts';

/**
 * The bake window: the new color serves all traffic while cutover keeps probing its health and
 * runs post-promotion analysis. A breach, or a `cutover rollback`, ends it with a rollback;
 * `cutover finalize` ends it early as a success. With all traffic on the new color the
 * decision tree rolls back on a critical failure and holds (waiting for a person) otherwise.
 */
export async function monitor(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { durationMs } = ctx.deps.settings.monitor;
  await ctx.beginPhase('monitor', `watching ${color} for ${formatDuration(durationMs)}`);
  const result = await watchColor(ctx, color, version, durationMs, { allowFinalize: true });
  const { report, breach } = result;
  if (report) ctx.notifyVerdict('post-promotion', report.verdict, report.summary);
  const notes = watchNotes(result);
  const data = report ? { analysis: report.data } : undefined;
  if (breach) {
    const decision = decideOnFailure({ trafficPercent: 100, critical: result.critical });
    if (decision.action === 'hold') {
      const answer = await holdForDecision(ctx, 'post-promotion', `${breach}; ${decision.reason}`, { ...data, decision });
      if (answer === 'rollback') {
        const why = `${breach}; held (${decision.reason}), then rolled back on request`;
        await ctx.endPhase('failed', `${why} (${notes})`, { ...data, decision });
        throw new PhaseFailure(why, { ...data, decision });
      }
      await ctx.endPhase('succeeded', `${breach}; held (${decision.reason}), then promoted with \`cutover promote\` (${notes})`, { ...data, decision });
      return;
    }
    throw new PhaseFailure(`${breach} (${notes})`, { ...data, critical: result.critical, decision });
  }
  await ctx.endPhase('succeeded', `${result.finalized ? 'ended early by cutover finalize; ' : ''}${notes} over ${formatDuration(result.elapsedMs)}`, data);
}
