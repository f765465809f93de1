import { parsePrometheusText } from '../metrics/builtin/prometheus-text.ts';
import { colorTraffic, histogramQuantile, totalRequests, trafficBetween, type ColorTraffic } from '../metrics/builtin/router-traffic.ts';
import { COLORS, type Color } from '../core/types.ts';
import type { TrafficFeed, TrafficSample, TrafficSourceInfo } from './traffic-feed.ts';
import type { TrafficPoint } from './traffic-series.ts';

/**
 * Per-color request rate, error rate and latency quantiles from successive scrapes of the
 * router's own Prometheus text (the numbers `/metrics` shows, so the charts and Prometheus agree).
 */
export class RouterTrafficFeed implements TrafficFeed {
  readonly source: TrafficSourceInfo = { kind: 'router' };
  readonly intervalMs: number;
  private readonly metricsText: () => Promise<string>;
  private previous: { at: number; colors: Record<Color, ColorTraffic> } | null = null;

  constructor(metricsText: () => Promise<string>, intervalMs = 1_000) {
    this.metricsText = metricsText;
    this.intervalMs = intervalMs;
  }

  async sample(at: number): Promise<TrafficSample> {
    let text: string;
    try {
      text = await this.metricsText();
    } catch (err) {
      // No router right now (daemon restarting): the chart shows a gap.
      return { points: null, problem: `the router's metrics cannot be read: ${(err as Error).message}` };
    }
    if (!text) return { points: null, problem: null };
    return { points: this.add(text, at), problem: null };
  }

  /** Adds one scrape taken at `at`; returns the new point per color (none for the first scrape). */
  add(text: string, at: number): Record<Color, TrafficPoint> | null {
    const samples = parsePrometheusText(text);
    const colors = {} as Record<Color, ColorTraffic>;
    for (const color of COLORS) colors[color] = colorTraffic(samples, color);
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
