import { histogramQuantile } from '../../metrics/builtin/router-traffic.ts';
import type { LiveTraffic, TrafficSource } from '../deps.ts';
import type { Color } from '../types.ts';

/** What one color's live traffic did between two readings. */
export interface TrafficReading {
  /** When the reading was taken (epoch ms, the core's clock). */
  at: number;
  /** How long the reading covers: the time since the previous one, in ms. */
  coveredMs: number;
  requests: number;
  errors5xx: number;
  upstreamErrors: number;
  /** The reading's own latency histogram (an increase, not cumulative). */
  latency: Array<{ le: number; count: number }>;
  /**
   * A p99 sample in ms, on the reading that closes a sample period (`sampleMs` of readings) with
   * enough requests in it; null on every other reading.
   */
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
  /** The span's latency histogram, cumulative by bucket (upper bound in seconds, Infinity last). */
  latency: Array<{ le: number; count: number }>;
  /** One p99 per reading with enough requests. */
  p99Samples: number[];
  /** Longest that any request was seen in flight during the span, in ms. */
  maxOldestInFlightMs: number;
  spanMs: number;
  /** The time the span's readings cover (each reading covers the time since the one before it). */
  coveredMs: number;
}

/**
 * Readings of one color's live traffic, each the increase since the previous one. A counter that
 * went down means the data plane restarted; as Prometheus' rate() does, its value is then the increase.
 * Readings may come often (the bake window reads every `guardrails.traffic.interval`, so stuck
 * requests and slow answers are seen within a fraction of a second); p99 samples are still
 * taken over periods of `sampleMs`, so they compare with the old color's samples before the switch.
 */
export class TrafficSeries {
  readonly color: Color;
  readonly readings: TrafficReading[] = [];
  private last: LiveTraffic | null = null;
  private lastAt = 0;
  private readonly source: TrafficSource;
  private readonly minRequestsPerSample: number;
  private readonly sampleMs: number;
  /** The sample period under way: its start, requests and histogram increase so far. */
  private period: { start: number; requests: number; latency: Map<number, number> } | null = null;

  constructor(source: TrafficSource, color: Color, minRequestsPerSample: number, sampleMs: number) {
    this.source = source;
    this.color = color;
    this.minRequestsPerSample = minRequestsPerSample;
    this.sampleMs = sampleMs;
  }

  /** Takes a reading; the first one only sets the starting point. Returns null when nothing could be read. */
  async sample(now: number): Promise<TrafficReading | null> {
    const current = await this.source.read(this.color);
    if (!current) return null;
    const before = this.last;
    this.last = current;
    if (!before) {
      this.lastAt = now;
      this.period = { start: now, requests: 0, latency: new Map() };
      return null;
    }
    const inc = (a: number, b: number) => (b >= a ? b - a : b);
    const old = new Map(before.latency.map((b) => [b.le, b.count]));
    const latency = current.latency.map((b) => ({ le: b.le, count: inc(old.get(b.le) ?? 0, b.count) }));
    const requests = inc(before.requests, current.requests);
    const period = this.period!;
    period.requests += requests;
    for (const b of latency) period.latency.set(b.le, (period.latency.get(b.le) ?? 0) + b.count);
    let p99: number | undefined;
    // 90%: a timer may fire a little early, and a period read every `sampleMs` must close every time.
    if (now - period.start >= this.sampleMs * 0.9) {
      if (period.requests >= this.minRequestsPerSample) p99 = histogramQuantile(0.99, [...period.latency].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le));
      this.period = { start: now, requests: 0, latency: new Map() };
    }
    const coveredMs = now - this.lastAt;
    this.lastAt = now;
    const reading: TrafficReading = {
      at: now,
      coveredMs,
      requests,
      errors5xx: inc(before.errors5xx, current.errors5xx),
      upstreamErrors: inc(before.upstreamErrors, current.upstreamErrors),
      latency,
      p99Ms: p99 === undefined ? null : p99 * 1000,
      inFlight: current.inFlight,
      oldestInFlightMs: current.oldestInFlightMs,
    };
    this.readings.push(reading);
    // A long bake window at 4 readings/s keeps at most an hour of readings.
    if (this.readings.length > 14_400) this.readings.shift();
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
  let coveredMs = 0;
  for (const r of readings) {
    coveredMs += r.coveredMs;
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
    latency: merged,
    p99Samples: readings.filter((r) => r.p99Ms !== null).map((r) => r.p99Ms!),
    maxOldestInFlightMs: maxOldest,
    spanMs: readings.length ? readings.at(-1)!.at - readings[0]!.at : 0,
    coveredMs,
  };
}
