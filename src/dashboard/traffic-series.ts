import { parsePrometheusText } from '../metrics/builtin/prometheus-text.ts';
import { colorTraffic, histogramQuantile, totalRequests, trafficBetween, type ColorTraffic } from '../metrics/builtin/router-traffic.ts';
import { COLORS, type Color } from '../core/types.ts';

/** One point of a color's chart: what the router saw during the interval that ended at `at`. */
export interface TrafficPoint {
  at: number;
  rps: number;
  /** Share of answers that were 5xx, 0..1; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** The default chart window: ten minutes of one-second points. */
const DEFAULT_CAPACITY = 600;

/**
 * Per-color request rate, error rate and latency quantiles, from successive scrapes of the
 * router's own Prometheus text (the numbers `/metrics` shows, so the charts and Prometheus agree).
 * Keeps a bounded window of points.
 */
export class TrafficSeries {
  private previous: { at: number; colors: Record<Color, ColorTraffic> } | null = null;
  private readonly points: Record<Color, TrafficPoint[]> = { blue: [], green: [] };
  private readonly capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.capacity = capacity;
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
      const point: TrafficPoint = {
        at,
        rps: total / seconds,
        errorRate: total > 0 ? delta.requests['5xx'] / total : null,
        p50Ms: p50 === undefined ? null : p50 * 1000,
        p99Ms: p99 === undefined ? null : p99 * 1000,
      };
      const list = this.points[color];
      list.push(point);
      if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
      added[color] = point;
    }
    return added;
  }

  /** Every kept point, oldest first. */
  snapshot(): Record<Color, TrafficPoint[]> {
    return { blue: [...this.points.blue], green: [...this.points.green] };
  }
}
