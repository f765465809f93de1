import { formatDuration } from '../../config/duration.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../../metrics/provider.ts';
import type {
  AnalysisDeps,
  AnalysisMeasurement,
  AnalysisResult,
  AnalysisSpec,
  AnalysisTarget,
  MetricSpec,
  MetricVerdict,
  PhaseCounts,
  Verdict,
} from './analysis-types.ts';
import { judgeReading, type BaselineSamples } from './judge-reading.ts';

const SEVERITY: Record<Verdict, number> = { successful: 0, inconclusive: 1, error: 2, failed: 3 };

/**
 * Runs every metric of `spec` side by side until each has its readings or a limit settles
 * it, and returns every reading and verdict as data. The first failed metric stops the
 * others at once (detection speed matters more than completing the set). Errors never
 * count as failures: too many in a row make the metric `error`, which is reported.
 * Never throws; an aborted `signal` ends it promptly with `aborted: true`.
 */
export async function runAnalysis(spec: AnalysisSpec, deps: AnalysisDeps, signal?: AbortSignal): Promise<AnalysisResult> {
  const startedAt = deps.clock.now();
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  signal?.addEventListener('abort', stopAll, { once: true });
  if (signal?.aborted) stop.abort();
  const measurements: AnalysisMeasurement[] = [];
  const record = (m: AnalysisMeasurement) => {
    measurements.push(m);
    safely(() => deps.onMeasurement?.(m));
  };

  try {
    const verdicts = await Promise.all(
      spec.metrics.map(async (metric) => {
        const verdict = await runMetric(spec, metric, deps, stop.signal, record);
        if (verdict.verdict === 'failed') stop.abort();
        safely(() => deps.onVerdict?.(verdict));
        return verdict;
      }),
    );
    const aborted = signal?.aborted ?? false;
    const verdict = verdicts.reduce<Verdict>((worst, v) => (SEVERITY[v.verdict] > SEVERITY[worst] ? v.verdict : worst), 'successful');
    const failedMetrics = verdicts.filter((v) => v.verdict === 'failed');
    const overall = aborted && verdict !== 'failed' ? 'inconclusive' : verdict;
    return {
      name: spec.name,
      verdict: overall,
      reason: summarize(spec, verdicts, overall, aborted),
      criticalFailure: failedMetrics.some((v) => v.critical),
      metrics: verdicts,
      measurements,
      startedAt,
      finishedAt: deps.clock.now(),
      aborted,
    };
  } finally {
    signal?.removeEventListener('abort', stopAll);
  }
}

async function runMetric(
  spec: AnalysisSpec,
  metric: MetricSpec,
  deps: AnalysisDeps,
  stop: AbortSignal,
  record: (m: AnalysisMeasurement) => void,
): Promise<MetricVerdict> {
  const counts: PhaseCounts = { successful: 0, failed: 0, inconclusive: 0, error: 0 };
  const samples: BaselineSamples = { canary: [], baseline: [] };
  const provider = deps.providers[metric.provider.kind];
  const firstAt = deps.clock.now() + metric.initialDelayMs;
  const readings = metric.count ?? (metric.durationMs !== undefined ? Math.floor(metric.durationMs / metric.intervalMs) + 1 : 1);
  const settle = (verdict: Verdict, reason: string, stoppedEarly: boolean): MetricVerdict => ({
    metric: metric.name,
    verdict,
    reason,
    critical: metric.critical,
    counts: { ...counts },
    stoppedEarly,
    finishedAt: deps.clock.now(),
  });

  if (!provider) return settle('error', `no metric provider of kind "${metric.provider.kind}"`, false);
  if (metric.baseline && !spec.baseline) return settle('error', 'baseline comparison needs the old color, and there is none', false);

  let consecutiveErrors = 0;
  let lastReason = '';
  for (let index = 0; index < readings; index++) {
    await deps.clock.sleep(Math.max(0, firstAt + index * metric.intervalMs - deps.clock.now()), stop);
    if (stop.aborted) break;

    const startedAt = deps.clock.now();
    const [canary, baseline] = await Promise.all([
      takeReading(provider, metric, spec, spec.canary, deps, stop),
      metric.baseline && spec.baseline ? takeReading(provider, metric, spec, spec.baseline, deps, stop) : undefined,
    ]);
    // A reading cut short because another metric failed (or the caller aborted) says nothing.
    if (stop.aborted) break;
    const judged = judgeReading(metric, spec, canary, baseline, samples);
    const measurement: AnalysisMeasurement = {
      metric: metric.name,
      index,
      phase: judged.phase,
      value: canary.value,
      baselineValue: baseline?.value,
      warmup: judged.warmup,
      reason: judged.reason,
      startedAt,
      finishedAt: deps.clock.now(),
      canary,
      baseline,
      comparison: judged.comparison,
    };
    record(measurement);
    lastReason = judged.reason;
    if (!judged.warmup) counts[judged.phase]++;
    consecutiveErrors = judged.phase === 'error' ? consecutiveErrors + 1 : 0;

    if (counts.failed > metric.failureLimit) {
      return settle('failed', `${counts.failed} of ${index + 1} readings failed (limit ${metric.failureLimit}); last: ${judged.reason}`, index + 1 < readings);
    }
    if (consecutiveErrors > metric.consecutiveErrorLimit) {
      return settle('error', `${consecutiveErrors} readings in a row could not be taken (limit ${metric.consecutiveErrorLimit}); last: ${judged.reason}`, index + 1 < readings);
    }
    if (counts.inconclusive > metric.inconclusiveLimit) {
      return settle('inconclusive', `${counts.inconclusive} readings were inconclusive (limit ${metric.inconclusiveLimit}); last: ${judged.reason}`, index + 1 < readings);
    }
  }

  const taken = counts.successful + counts.failed + counts.inconclusive + counts.error;
  const tally = describeCounts(counts);
  if (stop.aborted) return settle(counts.successful > 0 ? 'successful' : 'inconclusive', `stopped after ${taken} readings (${tally})`, true);
  if (counts.successful + counts.failed === 0) {
    const verdict: Verdict = counts.error > 0 && counts.error >= counts.inconclusive ? 'error' : 'inconclusive';
    return settle(verdict, `no reading could be judged (${tally})${lastReason ? `; last: ${lastReason}` : ''}`, false);
  }
  return settle('successful', `${tally}${lastReason ? `; last: ${lastReason}` : ''}`, false);
}

async function takeReading(
  provider: MetricProvider<never>,
  metric: MetricSpec,
  spec: AnalysisSpec,
  target: AnalysisTarget,
  deps: AnalysisDeps,
  stop: AbortSignal,
): Promise<Measurement> {
  const ctx: MeasureContext = { app: spec.app, color: target.color, version: target.version, targetUrl: target.targetUrl, windowMs: metric.windowMs };
  const startedAt = deps.clock.now();
  const reading = new AbortController();
  const cancel = () => reading.abort();
  stop.addEventListener('abort', cancel, { once: true });
  const timedOut = deps.clock.sleep(metric.readingTimeoutMs, reading.signal).then((): Measurement | undefined =>
    reading.signal.aborted ? undefined : { phase: 'error', startedAt, finishedAt: deps.clock.now(), message: `no answer within ${formatDuration(metric.readingTimeoutMs)}` },
  );
  // A provider must never throw, but a bug in one must not take the analysis down with it.
  const measured = Promise.resolve()
    .then(() => provider.measure(metric.provider as never, ctx, reading.signal))
    .catch((err: unknown): Measurement => ({ phase: 'error', startedAt, finishedAt: deps.clock.now(), message: `provider failed: ${String(err)}` }));
  try {
    const first = await Promise.race([measured, timedOut.then((m) => m ?? measured)]);
    return first;
  } finally {
    reading.abort();
    stop.removeEventListener('abort', cancel);
  }
}

function describeCounts(c: PhaseCounts): string {
  return `${c.successful} successful, ${c.failed} failed, ${c.inconclusive} inconclusive, ${c.error} errors`;
}

function summarize(spec: AnalysisSpec, verdicts: readonly MetricVerdict[], overall: Verdict, aborted: boolean): string {
  if (verdicts.length === 0) return `${spec.name}: no metrics to analyse`;
  const worst = verdicts.filter((v) => v.verdict === overall);
  const named = worst.map((v) => `${v.metric}: ${v.reason}`).join('; ');
  if (aborted && overall !== 'failed') return `${spec.name} analysis was aborted (${verdicts.map((v) => `${v.metric}: ${v.reason}`).join('; ')})`;
  if (overall === 'successful') return `${spec.name}: all ${verdicts.length} metrics passed`;
  return `${spec.name} ${overall === 'failed' ? 'failed' : `is ${overall}`}: ${named}`;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Progress output is best effort; it must not change the analysis.
  }
}
