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

/** Without a baseline there is nothing to be "far longer" than; this stands in, times the factor. */
const STUCK_WITHOUT_BASELINE_MS = 1_000;
/**
 * A request is stuck only once in flight for this many times the old color's p99 and the longest
 * request it was seen to have in flight before the switch: an app's own rare slow paths (a report,
 * an export, the demo's 1 s `/slow`) run on the new color too, a little slower on a busy machine.
 */
const STUCK_TAIL_FACTOR = 2;
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
  if (stuck.enabled && latest && latest.inFlight >= stuck.minInFlight) {
    const rule = stuckThreshold(base ?? null, stuck);
    if (rule.threshold !== null && latest.oldestInFlightMs >= rule.threshold) {
      return {
        signal: 'stuck-requests',
        evidence: `${color} has ${latest.inFlight} requests in flight, the oldest for ${ms(latest.oldestInFlightMs)} (` +
          (rule.before !== null ? `${baseline!.color} before the switch: ${rule.before}; ` : '') + `stuck after ${ms(rule.threshold)})`,
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

/**
 * When a request in flight on the new color counts as stuck: in flight for `factor` times the old
 * color's median, twice its p99 and twice the longest request it had in flight, and at least
 * `minAge`. The median carries the factor, not the p99: on an overloaded machine the old p99 grows
 * to hundreds of ms while the median stays near the app's own speed, and a factor on the p99 would
 * then let a release that never answers hold its requests for seconds before it counts.
 * `threshold` is null when the signal is left to the others: the old color already had requests in
 * flight for max(minAge, factor x its p99) (streams, long polls), so "in flight for a long time" is
 * normal for this app.
 */
function stuckThreshold(base: TrafficTotals | null, stuck: GuardrailSettings['traffic']['stuckRequests']): { threshold: number | null; before: string | null } {
  const baseP99 = base?.p99Ms ?? null;
  const longest = base?.maxOldestInFlightMs ?? 0;
  if (longest >= Math.max(stuck.minAgeMs, stuck.factor * (baseP99 ?? STUCK_WITHOUT_BASELINE_MS))) return { threshold: null, before: null };
  const baseMedian = base ? medianMs(base) : null;
  if (baseP99 === null || baseMedian === null) return { threshold: Math.max(stuck.minAgeMs, stuck.factor * STUCK_WITHOUT_BASELINE_MS), before: null };
  return {
    threshold: Math.max(stuck.minAgeMs, stuck.factor * baseMedian, STUCK_TAIL_FACTOR * baseP99, STUCK_TAIL_FACTOR * longest),
    before: `median ${ms(baseMedian)}, p99 ${ms(baseP99)}, longest in flight ${ms(longest)}`,
  };
}

/** The median of a span's requests in ms; null with none. */
function medianMs(totals: TrafficTotals): number | null {
  const q = histogramQuantile(0.5, totals.latency);
  return q === undefined ? null : q * 1000;
}

/** Per-request samples drawn from a histogram for the rank test: at most this many per side. */
const MAX_RANK_SAMPLES = 400;

/**
 * Latency judged on requests as they complete, without waiting for p99 readings: the new color's
 * median over the window against the old color's p99 and median before the switch. A release that
 * answers slowly answers most requests slowly, so its median moves at once; a pause of the machine
 * (GC, a starved core) delays only the requests caught in it, which moves the median of a window
 * at least `minSpan` long only when the pause lasts half of it. Two floors, the lower one decides:
 * - above the old p99 (by `minIncrease` and `minRatio`): on a quiet machine, the tighter one;
 * - above the old median (by `minMedianIncrease` and `minMedianRatio`): on an overloaded machine
 *   the old p99 grows to hundreds of ms while the median stays near the app's own speed, so a
 *   release that adds 400 ms to every answer would pass a floor on the p99 alone.
 * The rank test on top keeps a handful of requests from deciding. Requests close in time are not
 * independent, so its p-value is optimistic: the effect floors are what carry the "no false
 * alarms" promise.
 */
function judgeMedianLatency(color: Color, window: TrafficTotals, baseline: TrafficBaseline, settings: GuardrailSettings['traffic']): TrafficBreach | null {
  const { minRequests, minSpanMs, minIncreaseMs, minRatio, minMedianIncreaseMs, minMedianRatio } = settings.latency;
  const base = baseline.totals;
  const completed = window.latency.at(-1)?.count ?? 0;
  const baseMedian = medianMs(base);
  if (base.p99Ms === null || baseMedian === null || completed < minRequests || window.coveredMs < minSpanMs) return null;
  const median = medianMs(window) ?? 0;
  const overP99 = Math.max(base.p99Ms + minIncreaseMs, base.p99Ms * minRatio);
  const overMedian = Math.max(baseMedian + minMedianIncreaseMs, baseMedian * minMedianRatio);
  const floorMs = Math.min(overP99, overMedian);
  if (median < floorMs) return null;
  const test = mannWhitney(rankSamples(window.latency), rankSamples(base.latency), 'greater');
  if (test.pValue >= 0.05) return null;
  const versus = overP99 <= overMedian ? `p99 ${ms(base.p99Ms)}` : `median ${ms(baseMedian)} (p99 ${ms(base.p99Ms)})`;
  return {
    signal: 'latency',
    evidence: `${color} median ${ms(median)} over ${completed} requests in the last ${ms(window.coveredMs)} vs ${baseline.color} ${versus} before the switch (slow after ${ms(floorMs)}; Mann-Whitney p=${test.pValue.toPrecision(2)})`,
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
