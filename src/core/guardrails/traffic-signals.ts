import { compareToBaseline } from '../analysis/baseline-comparison.ts';
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

/** One line for a healthy window: `1204 requests, 5xx 0.0%, upstream errors 0.0%, p99 4ms (blue 3ms before the switch)`. */
export function describeTraffic(color: Color, totals: TrafficTotals, baseline: TrafficBaseline | null): string {
  const p99 = totals.p99Ms === null ? 'p99 -' : `p99 ${ms(totals.p99Ms)}`;
  const base = baseline?.totals.p99Ms != null ? ` (${baseline.color} ${ms(baseline.totals.p99Ms)} before the switch)` : '';
  return `${color} served ${totals.requests} requests, 5xx ${percent(totals.errors5xx, totals.requests)}, upstream errors ${percent(totals.upstreamErrors, totals.requests)}, ${p99}${base}`;
}
