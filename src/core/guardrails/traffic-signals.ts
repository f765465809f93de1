import { histogramQuantile } from '../../metrics/builtin/router-traffic.ts';
import { compareToBaseline } from '../analysis/baseline-comparison.ts';
import { mannWhitney } from '../analysis/mann-whitney.ts';
import type { Color } from '../types.ts';
import type { GuardrailSettings } from './config-schema.ts';
import type { TrafficReading, TrafficTotals } from './traffic-series.ts';

export type TrafficSignal = '5xx' | 'upstream-errors' | 'latency' | 'stuck-requests';

/** A traffic signal that fired, with the numbers behind it. */
export interface TrafficBreach {
  signal: TrafficSignal;
  evidence: string;
}

/** The old color's traffic over the readings just before the switch. */
export interface TrafficBaseline {
  color: Color;
  totals: TrafficTotals;
}

/** Without a baseline p99 there is nothing to be "far longer" than; this stands in, times the factor. */
const STUCK_WITHOUT_BASELINE_MS = 1_000;
/** Baseline p99 samples needed before latency is compared at all. */
const MIN_BASELINE_SAMPLES = 3;

export function percent(part: number, whole: number): string {
  if (whole === 0) return '0.0%';
  const p = (100 * part) / whole;
  return `${p >= 10 ? Math.round(p) : p.toFixed(1)}%`;
}

export function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`;
}

/**
 * Judges the new color's recent traffic against the old color's before the switch. Pure.
 * Each signal needs a minimum sample and a minimum effect (see `guardrails:` in the schema), so
 * noise on a busy machine never fires one; the first that fires is returned, the worst kinds first.
 */
export function judgeTraffic(input: {
  color: Color;
  /** The new color's totals over the recent window. */
  window: TrafficTotals;
  /** Every p99 sample of the new color since the switch, oldest first. */
  p99Samples: readonly number[];
  latest: TrafficReading | null;
  baseline: TrafficBaseline | null;
  settings: GuardrailSettings['traffic'];
}): TrafficBreach | null {
  const { color, window, latest, baseline, settings } = input;
  const base = baseline?.totals;
  const versus = (part: (t: TrafficTotals) => number) => base && base.requests > 0
    ? `vs ${baseline!.color} ${percent(part(base), base.requests)} (${part(base)}/${base.requests}) before the switch`
    : `with no traffic on the old color to compare with`;
  const recent = `in the last ${ms(Math.max(window.spanMs, 1000))}`;
  const rateBreach = (count: number, rule: { enabled: boolean; minIncrease: number; minErrors: number }, baseCount: number) => {
    if (!rule.enabled || window.requests < settings.minRequests || count < rule.minErrors) return false;
    const rate = count / window.requests;
    const baseRate = base && base.requests > 0 ? baseCount / base.requests : 0;
    return rate - baseRate >= rule.minIncrease && rate >= 2 * baseRate;
  };

  if (rateBreach(window.upstreamErrors, settings.upstreamErrors, base?.upstreamErrors ?? 0)) {
    return {
      signal: 'upstream-errors',
      evidence: `${color} upstream errors ${percent(window.upstreamErrors, window.requests)} (${window.upstreamErrors}/${window.requests} ${recent} refused, reset or timed out: 502/504) ${versus((t) => t.upstreamErrors)}`,
    };
  }
  if (rateBreach(window.errors5xx, settings.errorRate, base?.errors5xx ?? 0)) {
    return { signal: '5xx', evidence: `${color} 5xx ${percent(window.errors5xx, window.requests)} (${window.errors5xx}/${window.requests} ${recent}) ${versus((t) => t.errors5xx)}` };
  }

  const stuck = settings.stuckRequests;
  // An app whose requests were already long-lived before the switch (streams, long polls) makes
  // "in flight for a long time" normal: that signal is then left to the others.
  if (stuck.enabled && latest && latest.inFlight >= stuck.minInFlight) {
    const baseP99 = base?.p99Ms ?? null;
    const threshold = Math.max(stuck.minAgeMs, stuck.factor * (baseP99 ?? STUCK_WITHOUT_BASELINE_MS));
    const longLivedBefore = (base?.maxOldestInFlightMs ?? 0) >= threshold;
    if (!longLivedBefore && latest.oldestInFlightMs >= threshold) {
      return {
        signal: 'stuck-requests',
        evidence: `${color} has ${latest.inFlight} requests in flight, the oldest for ${ms(latest.oldestInFlightMs)}` +
          (baseP99 !== null ? ` (${baseline!.color} p99 was ${ms(baseP99)} before the switch; stuck after ${ms(threshold)})` : ` (stuck after ${ms(threshold)})`),
      };
    }
  }

  const latency = settings.latency;
  const slow = latency.enabled && base ? judgeMedianLatency(color, window, baseline!, settings) : null;
  if (slow) return slow;
  if (latency.enabled && base && base.p99Samples.length >= MIN_BASELINE_SAMPLES && input.p99Samples.length >= latency.minSamples) {
    const recentSamples = input.p99Samples.slice(-Math.max(latency.minSamples, 10));
    const comparison = compareToBaseline(recentSamples, base.p99Samples.slice(-30), {
      direction: 'increase',
      alpha: 0.05,
      minSamples: latency.minSamples,
      maxSamples: 30,
      minEffect: { relative: latency.minRatio - 1, absolute: latency.minIncreaseMs },
    }, { canary: color, baseline: baseline!.color });
    if (comparison.worse) {
      return {
        signal: 'latency',
        evidence: `${color} p99 ${ms(comparison.canaryMedian)} vs ${baseline!.color} ${ms(comparison.baselineMedian)} before the switch (median of ${comparison.canaryCount} vs ${comparison.baselineCount} one-second readings; Mann-Whitney p=${comparison.pValue.toPrecision(2)})`,
      };
    }
  }
  return null;
}

/** Per-request samples drawn from a histogram for the rank test: at most this many per side. */
const MAX_RANK_SAMPLES = 400;

/**
 * Latency judged on requests as they complete, without waiting for p99 readings: the new color's
 * median over the window against the old color's p99 before the switch. A release that answers
 * slowly answers most requests slowly, so its median moves at once; a pause of the machine
 * (GC, a starved core) delays only the requests caught in it, which moves the median of a window
 * at least `minSpan` long only when the pause lasts half of it. The rank test on top keeps a
 * handful of requests from deciding. Requests close in time are not independent, so its p-value
 * is optimistic: the effect floor (above the old p99, by `minIncrease` and `minRatio`) is what
 * carries the "no false alarms" promise.
 */
function judgeMedianLatency(color: Color, window: TrafficTotals, baseline: TrafficBaseline, settings: GuardrailSettings['traffic']): TrafficBreach | null {
  const { minRequests, minSpanMs, minIncreaseMs, minRatio } = settings.latency;
  const base = baseline.totals;
  const completed = window.latency.at(-1)?.count ?? 0;
  if (base.p99Ms === null || completed < minRequests || window.coveredMs < minSpanMs) return null;
  const medianMs = (histogramQuantile(0.5, window.latency) ?? 0) * 1000;
  const floorMs = Math.max(base.p99Ms + minIncreaseMs, base.p99Ms * minRatio);
  if (medianMs < floorMs) return null;
  const test = mannWhitney(rankSamples(window.latency), rankSamples(base.latency), 'greater');
  if (test.pValue >= 0.05) return null;
  return {
    signal: 'latency',
    evidence: `${color} median ${ms(medianMs)} over ${completed} requests in the last ${ms(window.coveredMs)} vs ${baseline.color} p99 ${ms(base.p99Ms)} before the switch (slow after ${ms(floorMs)}; Mann-Whitney p=${test.pValue.toPrecision(2)})`,
  };
}

/**
 * One value per request (its bucket's upper bound) from a cumulative histogram, thinned in
 * proportion to at most {@link MAX_RANK_SAMPLES}: the test's cost stays flat however busy the
 * app, and a thinner sample only makes the test harder to pass.
 */
function rankSamples(histogram: ReadonlyArray<{ le: number; count: number }>): number[] {
  const total = histogram.at(-1)?.count ?? 0;
  const keep = total > MAX_RANK_SAMPLES ? MAX_RANK_SAMPLES / total : 1;
  const values: number[] = [];
  let below = 0;
  let lastFinite = 0;
  for (const { le, count } of histogram) {
    const value = Number.isFinite(le) ? le : lastFinite * 2;
    if (Number.isFinite(le)) lastFinite = le;
    const n = Math.round((count - below) * keep);
    below = count;
    for (let i = 0; i < n; i++) values.push(value);
  }
  return values;
}

/** One line for a healthy window: `1204 requests, 5xx 0.0%, upstream errors 0.0%, p99 4ms (blue 3ms before the switch)`. */
export function describeTraffic(color: Color, totals: TrafficTotals, baseline: TrafficBaseline | null): string {
  const p99 = totals.p99Ms === null ? 'p99 -' : `p99 ${ms(totals.p99Ms)}`;
  const base = baseline?.totals.p99Ms != null ? ` (${baseline.color} ${ms(baseline.totals.p99Ms)} before the switch)` : '';
  return `${color} served ${totals.requests} requests, 5xx ${percent(totals.errors5xx, totals.requests)}, upstream errors ${percent(totals.upstreamErrors, totals.requests)}, ${p99}${base}`;
}
