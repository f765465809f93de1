import { histogramQuantile } from '../../metrics/builtin/router-traffic.ts';
import type { LiveTraffic, TrafficSource } from '../deps.ts';
import type { Color } from '../types.ts';

/** What one color's live traffic did between two readings. */
export interface TrafficReading {
  /** When the reading was taken (epoch ms, the core's clock). */
  at: number;
  requests: number;
  errors5xx: number;
  upstreamErrors: number;
  /** The reading's own latency histogram (an increase, not cumulative). */
  latency: Array<{ le: number; count: number }>;
  /** p99 of this reading in ms, when it had enough requests to be a sample. */
  p99Ms: number | null;
  inFlight: number;
  oldestInFlightMs: number;
}

/** Totals over a span of readings. */
export interface TrafficTotals {
  readings: number;
  requests: number;
  errors5xx: number;
  upstreamErrors: number;
  /** p99 over every request of the span, in ms; null with no requests. */
  p99Ms: number | null;
  /** One p99 per reading with enough requests. */
  p99Samples: number[];
  /** Longest that any request was seen in flight during the span, in ms. */
  maxOldestInFlightMs: number;
  spanMs: number;
}

/**
 * Readings of one color's live traffic, each the increase since the previous one. A counter that
 * went down means the data plane restarted; as Prometheus' rate() does, its value is then the increase.
 */
export class TrafficSeries {
  readonly color: Color;
  readonly readings: TrafficReading[] = [];
  private last: LiveTraffic | null = null;
  private readonly source: TrafficSource;
  private readonly minRequestsPerSample: number;

  constructor(source: TrafficSource, color: Color, minRequestsPerSample: number) {
    this.source = source;
    this.color = color;
    this.minRequestsPerSample = minRequestsPerSample;
  }

  /** Takes a reading; the first one only sets the starting point. Returns null when nothing could be read. */
  async sample(now: number): Promise<TrafficReading | null> {
    const current = await this.source.read(this.color);
    if (!current) return null;
    const before = this.last;
    this.last = current;
    if (!before) return null;
    const inc = (a: number, b: number) => (b >= a ? b - a : b);
    const old = new Map(before.latency.map((b) => [b.le, b.count]));
    const latency = current.latency.map((b) => ({ le: b.le, count: inc(old.get(b.le) ?? 0, b.count) }));
    const requests = inc(before.requests, current.requests);
    const p99 = requests >= this.minRequestsPerSample ? histogramQuantile(0.99, latency) : undefined;
    const reading: TrafficReading = {
      at: now,
      requests,
      errors5xx: inc(before.errors5xx, current.errors5xx),
      upstreamErrors: inc(before.upstreamErrors, current.upstreamErrors),
      latency,
      p99Ms: p99 === undefined ? null : p99 * 1000,
      inFlight: current.inFlight,
      oldestInFlightMs: current.oldestInFlightMs,
    };
    this.readings.push(reading);
    // A long bake window at 1 reading/s keeps at most an hour of readings.
    if (this.readings.length > 3_600) this.readings.shift();
    return reading;
  }

  /** Totals of the readings taken after `since`. */
  totals(since = -Infinity): TrafficTotals {
    return totalsOf(this.readings.filter((r) => r.at > since));
  }
}

export function totalsOf(readings: readonly TrafficReading[]): TrafficTotals {
  const sum = new Map<number, number>();
  let requests = 0;
  let errors5xx = 0;
  let upstreamErrors = 0;
  let maxOldest = 0;
  for (const r of readings) {
    requests += r.requests;
    errors5xx += r.errors5xx;
    upstreamErrors += r.upstreamErrors;
    maxOldest = Math.max(maxOldest, r.oldestInFlightMs);
    for (const b of r.latency) sum.set(b.le, (sum.get(b.le) ?? 0) + b.count);
  }
  const merged = [...sum].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const p99 = histogramQuantile(0.99, merged);
  return {
    readings: readings.length,
    requests,
    errors5xx,
    upstreamErrors,
    p99Ms: p99 === undefined ? null : p99 * 1000,
    p99Samples: readings.filter((r) => r.p99Ms !== null).map((r) => r.p99Ms!),
    maxOldestInFlightMs: maxOldest,
    spanMs: readings.length ? readings.at(-1)!.at - readings[0]!.at : 0,
  };
}
