import type { Color } from '../../core/types.ts';
import type { ListenerName, StatusClass } from '../../router/router-metrics.ts';
import type { RouterCounters } from '../../router/router-counters.ts';

/** The router's cumulative counters for one color, summed over the chosen listeners. */
export interface ColorTraffic {
  /** Requests by status class. */
  requests: Record<StatusClass, number>;
  /** Cumulative latency histogram: upper bound in seconds (Infinity last) -> count at or below it. */
  buckets: Array<{ le: number; count: number }>;
  inFlight: number;
  /** Router-made 502/504s for a failed upstream (refused, reset, no headers in time). Absent in older scrapes. */
  upstreamErrors?: number;
  /** Age of the oldest main-listener request still in flight, in seconds. */
  oldestInFlightSeconds?: number;
}

const LISTENERS: readonly ListenerName[] = ['main', 'preview'];

/** Picks one color's counters out of a snapshot; `listener` undefined sums main and preview. */
export function colorTraffic(counters: RouterCounters, color: Color, listener?: ListenerName): ColorTraffic {
  const requests: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  const bounds = [...counters.latencyBoundsSeconds, Infinity];
  const counts = new Array<number>(bounds.length).fill(0);
  let inFlight = 0;
  let upstreamErrors = 0;
  let oldestInFlightSeconds = 0;
  for (const name of listener ? [listener] : LISTENERS) {
    const c = counters.colors[color][name];
    for (const cls of Object.keys(requests) as StatusClass[]) requests[cls] += c.requests[cls];
    c.latency.forEach((count, i) => { counts[i] = (counts[i] ?? 0) + count; });
    inFlight += c.inFlight;
    upstreamErrors += c.upstreamErrors;
    oldestInFlightSeconds = Math.max(oldestInFlightSeconds, c.oldestInFlightSeconds);
  }
  const buckets = bounds.map((le, i) => ({ le, count: counts[i]! }));
  return { requests, buckets, inFlight, upstreamErrors, oldestInFlightSeconds };
}

/**
 * What happened between two scrapes. A counter that went down means the router restarted,
 * so (as Prometheus' rate() does) its current value is taken as the increase.
 */
export function trafficBetween(before: ColorTraffic, after: ColorTraffic): ColorTraffic {
  const increase = (a: number, b: number) => (b >= a ? b - a : b);
  const requests = { ...after.requests };
  for (const cls of Object.keys(requests) as StatusClass[]) requests[cls] = increase(before.requests[cls], after.requests[cls]);
  const beforeBuckets = new Map(before.buckets.map((b) => [b.le, b.count]));
  const buckets = after.buckets.map((b) => ({ le: b.le, count: increase(beforeBuckets.get(b.le) ?? 0, b.count) }));
  return {
    requests,
    buckets,
    inFlight: after.inFlight,
    upstreamErrors: increase(before.upstreamErrors ?? 0, after.upstreamErrors ?? 0),
    oldestInFlightSeconds: after.oldestInFlightSeconds ?? 0,
  };
}

export function totalRequests(t: ColorTraffic): number {
  return t.requests['2xx'] + t.requests['3xx'] + t.requests['4xx'] + t.requests['5xx'];
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket the way
 * PromQL's histogram_quantile() does. Undefined when the histogram is empty.
 * An answer in the +Inf bucket is reported as the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
