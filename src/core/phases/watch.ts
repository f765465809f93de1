import type { AnalysisReport } from '../deps.ts';
import type { OperationContext } from '../operations/operation-context.ts';
import type { Color } from '../types.ts';

/** What watching a color for a while found. */
export interface WatchResult {
  /** Why the watch ended badly, or null. */
  breach: string | null;
  /** The breach was a health failure, an explicit request or a critical metric (the policy always rolls back). */
  critical: boolean;
  /** `cutover finalize` ended it early (only when allowed). */
  finalized: boolean;
  /** Post-promotion analysis over the watch, when configured. */
  report: AnalysisReport | null;
  rounds: number;
  failures: number;
  elapsedMs: number;
}

/**
 * Probes `color`'s health every monitor interval and runs post-promotion analysis for
 * `durationMs`, stopping at the first breach: a failed analysis, too many failed probes in a
 * row, `cutover rollback` or `cutover abort`. Used by the bake window and by each progressive step.
 */
export async function watchColor(ctx: OperationContext, color: Color, version: string, durationMs: number, options: { allowFinalize: boolean }): Promise<WatchResult> {
  const { driver, verifier, analysis, settings, reporter } = ctx.deps;
  const { intervalMs, failureThreshold } = settings.monitor;
  const started = ctx.clock.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.abort.signal.addEventListener('abort', onAbort, { once: true });
  let targets = await driver.targets(color);
  let postResult: AnalysisReport | null = null;
  const from = ctx.op.from;
  const baseline = from && from !== color && ctx.state.colors[from].version ? { color: from, version: ctx.state.colors[from].version! } : null;
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
      if (options.allowFinalize && ctx.hasSignal('finalize')) { finalized = true; break; }
      if (postResult && (postResult as AnalysisReport).verdict === 'failed') break;
      // Each round probes the color's current replicas: one replaced since the last round
      // (a Kubernetes pod evicted and recreated) is not a failure of the release.
      // A failed read of them (the API server briefly away) keeps the last ones.
      if (rounds > 0) {
        targets = await driver.targets(color).catch((err: Error) => {
          reporter.progress(`could not re-read ${color}'s replicas, probing the last ones: ${err.message}`);
          return targets;
        });
      }
      const probe = await verifier.probe(targets, stop.signal);
      if (stop.signal.aborted && postResult && (postResult as AnalysisReport).verdict === 'failed') break;
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
  let critical = breach !== null;
  if (!breach && report?.verdict === 'failed') {
    breach = `post-promotion analysis failed: ${report.summary}`;
    critical = report.critical ?? true;
  }
  return { breach, critical, finalized, report, rounds, failures, elapsedMs: ctx.clock.now() - started };
}

/** `12 health rounds, 0 failed; analysis successful: ...` */
export function watchNotes(result: WatchResult): string {
  return `${result.rounds} health rounds, ${result.failures} failed` + (result.report ? `; analysis ${result.report.verdict}: ${result.report.summary}` : '');
}
