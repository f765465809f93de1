import { formatDuration } from '../../config/duration.ts';
import { CutoverError } from '../errors.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { declined, PhaseFailure } from '../engine/phase-outcome.ts';
import type { ProgressiveSettings } from '../progressive/config-schema.ts';
import { decideOnFailure } from '../rollback-policy.ts';
import type { Color } from '../types.ts';
import { holdForDecision } from './hold.ts';
import { watchColor, watchNotes } from './watch.ts';

/**
 * Progressive delivery before the full switch: for each step, send that share of live traffic
 * (plus the cohort) to `color`, prove the split is in force, then watch health and post-promotion
 * analysis for the step's duration. Each step is its own `shift` phase record with its
 * measurements. A failure is settled by the runbook's decision tree: drop or roll back
 * (a PhaseFailure whose data carries the decision), or hold for a person.
 * @throws CutoverError('config') when the platform cannot split traffic.
 */
export async function progressiveShift(ctx: OperationContext, color: Color, version: string, settings: ProgressiveSettings): Promise<void> {
  const { driver } = ctx.deps;
  if (!driver.shiftTraffic || !driver.verifySplit || !driver.endSplit) {
    throw new CutoverError('config', `progressive: the ${driver.kind} platform cannot split traffic; remove progressive: from the config`);
  }
  const { routing, stepDurationMs } = settings;
  const cohort = routing.cohort?.header ?? routing.cohort?.cookie;
  for (const percent of settings.steps) {
    await ctx.beginPhase('shift', `sending ${percent}% of live traffic${cohort ? ` and cohort ${cohort.name}` : ''} to ${color} for ${formatDuration(stepDurationMs)}`);
    await driver.shiftTraffic(color, percent, routing);
    const proof = await driver.verifySplit(color, percent, routing);
    if (!proof.ok) {
      const decision = decideOnFailure({ trafficPercent: percent, critical: true });
      throw new PhaseFailure(`the ${percent}% split to ${color} is not in force: ${proof.detail}; ${decision.reason}`, { percent, proof, decision });
    }
    ctx.deps.reporter.progress(`${percent}% of traffic on ${color}: ${proof.detail}`);
    const result = await watchColor(ctx, color, version, stepDurationMs, { allowFinalize: false });
    const { report, breach } = result;
    if (report) ctx.notifyVerdict(`step ${percent}%`, report.verdict, report.summary);
    const notes = watchNotes(result);
    const data = { percent, proof, analysis: report?.data };
    if (!breach) {
      await ctx.endPhase('succeeded', `${percent}% on ${color} for ${formatDuration(result.elapsedMs)}: ${notes}`, data);
      continue;
    }
    const decision = decideOnFailure({ trafficPercent: percent, critical: result.critical });
    if (decision.action !== 'hold') {
      throw new PhaseFailure(`at ${percent}% on ${color}: ${breach}; ${decision.reason} (${notes})`, { ...data, decision }, result.signal === 'request' ? 'declined' : 'failed');
    }
    const answer = await holdForDecision(ctx, `step ${percent}%`, `at ${percent}% on ${color}: ${breach}; ${decision.reason}`, { ...data, decision });
    if (answer === 'rollback') {
      const why = `at ${percent}% on ${color}: ${breach}; held (${decision.reason}), then rolled back on request`;
      await ctx.endPhase('failed', `${why} (${notes})`, { ...data, decision });
      throw declined(why, { ...data, decision });
    }
    await ctx.endPhase('succeeded', `at ${percent}% on ${color}: ${breach}; held, then promoted with \`cutover promote\` (${notes})`, { ...data, decision });
  }
}
