import type { AnalysisDeps, AnalysisMeasurement, AnalysisResult, MetricVerdict } from '../core/analysis/analysis-types.ts';
import { runAnalysis } from '../core/analysis/run-analysis.ts';
import type { AnalysisContext, AnalysisHook, AnalysisReport, Clock } from '../core/deps.ts';
import type { AnalysisConfig } from './config-schema.ts';
import type { ProviderSet } from './registry.ts';
import { resolveMetric } from './resolve-analysis.ts';

export interface AnalysisHookOptions {
  providers: ProviderSet;
  clock: Clock;
  onMeasurement?: AnalysisDeps['onMeasurement'];
  onVerdict?: AnalysisDeps['onVerdict'];
}

/**
 * Connects `analysis:` from cutover.yaml to the deploy phases: `pre` runs against the
 * preview before the gate, `post` for the bake window. Each returns the full
 * AnalysisResult as `data`. Never throws; absent lists leave the hook's method undefined.
 */
export function createAnalysisHook(config: AnalysisConfig, options: AnalysisHookOptions): AnalysisHook {
  const run = async (name: string, context: AnalysisContext, metrics: AnalysisConfig['pre'], bakeMs: number | undefined, signal: AbortSignal) => {
    const stage = bakeMs === undefined ? 'pre' : 'post';
    const soFar = { measurements: [] as AnalysisMeasurement[], metrics: [] as MetricVerdict[], startedAt: options.clock.now() };
    const show = () => context.onProgress?.({
      name,
      verdict: 'running',
      reason: `${name}: ${soFar.measurements.length} measurement${soFar.measurements.length === 1 ? '' : 's'} so far`,
      live: true,
      metrics: [...soFar.metrics],
      measurements: [...soFar.measurements],
      startedAt: soFar.startedAt,
    });
    const deps: AnalysisDeps = {
      providers: options.providers as unknown as AnalysisDeps['providers'],
      clock: options.clock,
      onMeasurement: (m) => {
        soFar.measurements.push(m);
        show();
        options.onMeasurement?.(m);
      },
      onVerdict: (v) => {
        soFar.metrics.push(v);
        show();
        options.onVerdict?.(v);
      },
    };
    const result = await runAnalysis(
      {
        name,
        app: context.app,
        canary: { color: context.color, version: context.version, targetUrl: context.targets.preview },
        baseline: context.baseline ?? undefined,
        metrics: (metrics ?? []).map((m) => resolveMetric(m, { stage, bakeMs })),
      },
      deps,
      signal,
    );
    return toReport(result);
  };
  return {
    pre: config.pre?.length ? (context, signal) => run('pre-promotion', context, config.pre, undefined, signal) : undefined,
    post: config.post?.length ? (context, signal) => run('post-promotion', context, config.post, context.durationMs, signal) : undefined,
    postReadingIntervalMs: config.post?.length
      ? Math.min(...config.post.map((m) => resolveMetric(m, { stage: 'post', bakeMs: 0 }).intervalMs))
      : undefined,
  };
}

function toReport(result: AnalysisResult): AnalysisReport {
  return { verdict: result.verdict, summary: result.reason, critical: result.criticalFailure, data: result };
}
