import { colorTraffic, histogramQuantile, totalRequests, trafficBetween, type ColorTraffic } from '../metrics/builtin/router-traffic.ts';
import { COLORS, type Color } from '../core/types.ts';
import type { RouterCounters } from '../router/router-counters.ts';
import type { TrafficFeed, TrafficSample, TrafficSourceInfo } from './traffic-feed.ts';
import type { TrafficPoint } from './traffic-series.ts';

/**
 * Per-color request rate, error rate and latency quantiles from successive snapshots of the
 * router's own counters (the numbers `/metrics` shows, so the charts and Prometheus agree).
 */
export class RouterTrafficFeed implements TrafficFeed {
  readonly source: TrafficSourceInfo = { kind: 'router' };
  readonly intervalMs: number;
  private readonly routerCounters: () => Promise<RouterCounters>;
  private previous: { at: number; colors: Record<Color, ColorTraffic> } | null = null;

  constructor(routerCounters: () => Promise<RouterCounters>, intervalMs = 1_000) {
    this.routerCounters = routerCounters;
    this.intervalMs = intervalMs;
  }

  async sample(at: number): Promise<TrafficSample> {
    let counters: RouterCounters;
    try {
      counters = await this.routerCounters();
    } catch (err) {
      // No router right now (daemon restarting): the chart shows a gap.
      return { points: null, problem: `the router's metrics cannot be read: ${(err as Error).message}` };
    }
    return { points: this.add(counters, at), problem: null };
  }

  /** Adds one snapshot taken at `at`; returns the new point per color (none for the first one). */
  add(counters: RouterCounters, at: number): Record<Color, TrafficPoint> | null {
    const colors = {} as Record<Color, ColorTraffic>;
    for (const color of COLORS) colors[color] = colorTraffic(counters, color);
    const before = this.previous;
    this.previous = { at, colors };
    if (!before || at <= before.at) return null;
    const seconds = (at - before.at) / 1000;
    const added = {} as Record<Color, TrafficPoint>;
    for (const color of COLORS) {
      const delta = trafficBetween(before.colors[color], colors[color]);
      const total = totalRequests(delta);
      const p50 = histogramQuantile(0.5, delta.buckets);
      const p99 = histogramQuantile(0.99, delta.buckets);
      added[color] = {
        at,
        rps: total / seconds,
        errorRate: total > 0 ? delta.requests['5xx'] / total : null,
        p50Ms: p50 === undefined ? null : p50 * 1000,
        p99Ms: p99 === undefined ? null : p99 * 1000,
      };
    }
    return added;
  }
}
