import { parseDurationOr } from '../config/duration.ts';
import type { MetricSpec } from '../core/analysis/analysis-types.ts';
import type { BaselineOptions } from '../core/analysis/baseline-comparison.ts';
import { compileCondition } from '../core/analysis/condition.ts';
import type { MetricConfig } from './config-schema.ts';

/** Defaults for what cutover.yaml leaves out; chosen so that a false rollback is rare (see docs). */
export const METRIC_DEFAULTS = {
  intervalMs: 5_000,
  readingTimeoutMs: 30_000,
  failureLimit: 0,
  inconclusiveLimit: 3,
  consecutiveErrorLimit: 4,
  critical: true,
  baseline: {
    direction: 'increase',
    alpha: 0.05,
    minSamples: 5,
    maxSamples: 120,
    // 20% of the old median: measured on noisy synthetic latencies, a 10% floor let about
    // 1 healthy bake in 12 fail once; 20% brought that near 1 in 100 (seeded simulation, 200 bakes of 300 readings).
    minEffect: { relative: 0.2, absolute: 0 },
  } satisfies BaselineOptions,
} as const;

/**
 * When the metric says neither `count` nor `duration`: `pre` takes enough readings for one
 * judgement (one, or `minSamples` in baseline mode); `post` reads for the whole bake window.
 */
export interface ResolveOptions {
  stage: 'pre' | 'post';
  /** The bake window, for post-promotion metrics without count or duration. */
  bakeMs?: number;
}

/**
 * Turns validated config into what the analysis engine runs: milliseconds, compiled
 * conditions, every default filled in. Pure.
 * @throws CutoverError('config') only for input the schema would have refused.
 */
export function resolveMetric(config: MetricConfig, options: ResolveOptions): MetricSpec {
  const intervalMs = parseDurationOr(config.interval, METRIC_DEFAULTS.intervalMs);
  const baseline = config.baseline === undefined ? undefined : resolveBaseline(config.baseline);
  let count = config.count;
  let durationMs = parseDurationOr(config.duration, undefined);
  if (count === undefined && durationMs === undefined) {
    if (options.stage === 'post' && options.bakeMs !== undefined) durationMs = options.bakeMs;
    else count = baseline ? baseline.minSamples : 1;
  }
  return {
    name: config.name,
    provider: config.provider,
    intervalMs,
    count,
    durationMs,
    initialDelayMs: parseDurationOr(config.initialDelay, 0),
    windowMs: parseDurationOr(config.window, intervalMs),
    condition: config.condition ? compileCondition(config.condition) : undefined,
    baseline,
    failureLimit: config.failureLimit ?? METRIC_DEFAULTS.failureLimit,
    inconclusiveLimit: config.inconclusiveLimit ?? METRIC_DEFAULTS.inconclusiveLimit,
    consecutiveErrorLimit: config.consecutiveErrorLimit ?? METRIC_DEFAULTS.consecutiveErrorLimit,
    critical: config.critical ?? METRIC_DEFAULTS.critical,
    readingTimeoutMs: parseDurationOr(config.timeout, METRIC_DEFAULTS.readingTimeoutMs),
  };
}

function resolveBaseline(config: NonNullable<MetricConfig['baseline']>): BaselineOptions {
  const d = METRIC_DEFAULTS.baseline;
  if (config === true) return { ...d, minEffect: { ...d.minEffect } };
  return {
    direction: config.direction ?? d.direction,
    alpha: config.alpha ?? d.alpha,
    minSamples: config.minSamples ?? d.minSamples,
    maxSamples: Math.max(config.maxSamples ?? d.maxSamples, config.minSamples ?? d.minSamples),
    minEffect: { relative: config.minEffect?.relative ?? d.minEffect.relative, absolute: config.minEffect?.absolute ?? d.minEffect.absolute },
  };
}
