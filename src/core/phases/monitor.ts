import { formatDuration } from '../../config/duration.ts';
import type { AnalysisReport } from '../deps.ts';
import type { OperationContext } from '../operation-context.ts';
import { PhaseFailure } from '../operation-context.ts';
import type { Color } from '../types.ts';

/**
 * The bake window: the new color serves all traffic while cutover keeps probing its health and
 * runs post-promotion analysis. Any breach, or a `cutover rollback`, ends it with a rollback;
 * `cutover finalize` ends it early as a success.
 */
export async function monitor(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { driver, verifier, analysis, settings, reporter } = ctx.deps;
  const { durationMs, intervalMs, failureThreshold } = settings.monitor;
  await ctx.beginPhase('monitor', `watching ${color} for ${formatDuration(durationMs)}`);
  const started = ctx.clock.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.abort.signal.addEventListener('abort', onAbort, { once: true });
  const targets = await driver.targets(color);
  let postResult: AnalysisReport | null = null;
  const from = ctx.op.from;
  const baseline = from && ctx.state.colors[from].version ? { color: from, version: ctx.state.colors[from].version! } : null;
  const post = analysis?.post
    ? analysis.post({ app: ctx.state.app, color, version, baseline, targets, durationMs }, stop.signal)
      .then((r) => { postResult = r; if (r.verdict === 'failed') stop.abort(); })
      .catch((err: Error) => { postResult = { verdict: 'error', summary: err.message }; })
    : Promise.resolve();
  let rounds = 0;
  let failures = 0;
  let consecutive = 0;
  let breach: string | null = null;
  let finalized = false;
  try {
    while (ctx.clock.now() - started < durationMs) {
      if (ctx.hasSignal('rollback')) { breach = 'rollback requested with `cutover rollback`'; break; }
      if (ctx.abort.signal.aborted) { breach = 'aborted with `cutover abort`'; break; }
      if (ctx.hasSignal('finalize')) { finalized = true; break; }
      if (postResult && (postResult as AnalysisReport).verdict === 'failed') break;
      const probe = await verifier.probe(targets, stop.signal);
      rounds++;
      if (probe.ok) consecutive = 0;
      else {
        failures++;
        consecutive++;
        reporter.progress(`health probe failed (${consecutive}/${failureThreshold}): ${probe.summary}`);
        if (consecutive >= failureThreshold) { breach = `health failed ${consecutive} times in a row: ${probe.summary}`; break; }
      }
      await ctx.clock.sleep(Math.min(intervalMs, Math.max(0, durationMs - (ctx.clock.now() - started))), stop.signal);
    }
  } finally {
    ctx.abort.signal.removeEventListener('abort', onAbort);
    if (breach || finalized) stop.abort();
  }
  await post;
  const report = postResult as AnalysisReport | null;
  if (report) ctx.notifyVerdict('post-promotion', report.verdict, report.summary);
  if (!breach && report?.verdict === 'failed') breach = `post-promotion analysis failed: ${report.summary}`;
  const notes = `${rounds} health rounds, ${failures} failed` + (report ? `; analysis ${report.verdict}: ${report.summary}` : '');
  if (breach) throw new PhaseFailure(`${breach} (${notes})`, { analysis: report?.data, critical: report?.critical });
  await ctx.endPhase('succeeded', `${finalized ? 'ended early by cutover finalize; ' : ''}${notes} over ${formatDuration(ctx.clock.now() - started)}`, report ? { analysis: report.data } : undefined);
}
