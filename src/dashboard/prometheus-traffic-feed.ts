import { COLORS, type Color } from '../core/types.ts';
import type { Measurement } from '../metrics/provider.ts';
import { PrometheusProvider } from '../metrics/prometheus/prometheus-provider.ts';
import type { PrometheusTrafficSettings } from './config-schema.ts';
import type { TrafficFeed, TrafficSample, TrafficSourceInfo } from './traffic-feed.ts';
import type { TrafficPoint } from './traffic-series.ts';

type Series = 'requests' | 'errors' | 'p50' | 'p99';

/**
 * Per-color chart points from the user's Prometheus (`dashboard.traffic.prometheus`): four
 * instant queries per color, asked through the prometheus metric provider, so the queries are
 * templated, escaped and judged (no series, NaN, several series) exactly as analysis does.
 */
export class PrometheusTrafficFeed implements TrafficFeed {
  readonly source: TrafficSourceInfo;
  readonly intervalMs: number;
  private readonly app: string;
  private readonly settings: PrometheusTrafficSettings;
  private readonly provider = new PrometheusProvider();

  constructor(app: string, settings: PrometheusTrafficSettings) {
    this.app = app;
    this.settings = settings;
    this.intervalMs = settings.intervalMs;
    this.source = { kind: 'prometheus', address: settings.address };
  }

  async sample(at: number): Promise<TrafficSample> {
    const queries: Record<Series, string> = {
      requests: this.settings.requests,
      errors: this.settings.errors,
      p50: `histogram_quantile(0.5, ${this.settings.latency})`,
      p99: `histogram_quantile(0.99, ${this.settings.latency})`,
    };
    const problems: string[] = [];
    const points = {} as Record<Color, TrafficPoint>;
    let answered = 0;
    let requestSeries = 0;
    await Promise.all(COLORS.map(async (color) => {
      const read = async (series: Series): Promise<number | null> => {
        const m = await this.measure(queries[series], color);
        if (m.phase === 'error') {
          problems.push(`${series} of ${color}: ${m.message}`);
          return null;
        }
        answered++;
        // No series is how Prometheus says "nothing counted yet" (no 5xx so far, a color with no pods).
        return m.phase === 'successful' ? m.value! : null;
      };
      const [requests, errors, p50, p99] = await Promise.all((['requests', 'errors', 'p50', 'p99'] as const).map(read));
      if (requests !== null) requestSeries++;
      const rps = requests ?? 0;
      points[color] = {
        at,
        rps,
        errorRate: rps > 0 ? Math.min(1, (errors ?? 0) / rps) : null,
        p50Ms: p50 === null ? null : p50 * 1000,
        p99Ms: p99 === null ? null : p99 * 1000,
      };
    }));
    if (problems.length > 0) {
      return { points: answered > 0 ? points : null, problem: `Prometheus at ${this.settings.address}: ${problems.sort()[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}` };
    }
    if (requestSeries === 0) {
      // Flat zero lines would claim "no traffic" when the query most likely names no metric at all.
      return { points: null, problem: `Prometheus at ${this.settings.address} has no series for either color from dashboard.traffic.prometheus.requests (${this.settings.requests}): check the metric name and its app and color labels` };
    }
    return { points, problem: null };
  }

  private measure(query: string, color: Color): Promise<Measurement> {
    return this.provider.measure(
      { kind: 'prometheus', address: this.settings.address, query, timeout: `${this.settings.timeoutMs}ms`, headers: this.settings.headers as Record<string, string> | undefined },
      { app: this.app, color, version: '', windowMs: this.settings.windowMs },
    );
  }
}
