import { COLORS, type Color } from '../core/types.ts';
import type { Measurement } from '../metrics/provider.ts';
import { httpGet } from '../metrics/http-get.ts';
import { escapePromQL, PrometheusProvider } from '../metrics/prometheus/prometheus-provider.ts';
import { renderTemplate } from '../metrics/template.ts';
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

  private get queries(): Record<Series, string> {
    return {
      requests: this.settings.requests,
      errors: this.settings.errors,
      p50: `histogram_quantile(0.5, ${this.settings.latency})`,
      p99: `histogram_quantile(0.99, ${this.settings.latency})`,
    };
  }

  /**
   * The points Prometheus already has for the `spanMs` before `end`, oldest first, at most
   * `maxPoints` of them: a dashboard started after a switch still charts it. Null when any
   * query fails, so the dashboard asks again on a later sample (the live samples report the
   * problem).
   */
  async history(end: number, spanMs: number, maxPoints: number): Promise<Array<Record<Color, TrafficPoint>> | null> {
    const stepMs = Math.max(this.intervalMs, spanMs / maxPoints);
    const start = end - spanMs;
    const read = async (series: Series, color: Color): Promise<Map<number, number>> => {
      const promql = renderTemplate(this.queries[series], { app: this.app, color, version: '', windowMs: this.settings.windowMs }, escapePromQL);
      const url = new URL('api/v1/query_range', this.settings.address.endsWith('/') ? this.settings.address : `${this.settings.address}/`);
      url.searchParams.set('query', promql);
      url.searchParams.set('start', String(start / 1000));
      url.searchParams.set('end', String(end / 1000));
      url.searchParams.set('step', String(stepMs / 1000));
      const response = await httpGet(url.toString(), { timeoutMs: this.settings.timeoutMs, headers: this.settings.headers as Record<string, string> | undefined });
      const body = JSON.parse(response.text) as { status?: string; data?: { resultType?: string; result?: Array<{ values: Array<[number, string]> }> } };
      if (response.status !== 200 || body.status !== 'success' || body.data?.resultType !== 'matrix' || (body.data.result?.length ?? 0) > 1) throw new Error(`range query not usable: ${promql}`);
      const values = new Map<number, number>();
      for (const [t, v] of body.data.result?.[0]?.values ?? []) if (Number.isFinite(Number(v))) values.set(Math.round(t * 1000), Number(v));
      return values;
    };
    try {
      const byColor = {} as Record<Color, Record<Series, Map<number, number>>>;
      await Promise.all(COLORS.map(async (color) => {
        const [requests, errors, p50, p99] = await Promise.all((['requests', 'errors', 'p50', 'p99'] as const).map((series) => read(series, color)));
        byColor[color] = { requests: requests!, errors: errors!, p50: p50!, p99: p99! };
      }));
      const times = [...new Set(COLORS.flatMap((color) => [...byColor[color].requests.keys()]))].sort((a, b) => a - b);
      return times.map((at) => {
        const points = {} as Record<Color, TrafficPoint>;
        for (const color of COLORS) points[color] = this.point(at, byColor[color].requests.get(at) ?? null, byColor[color].errors.get(at) ?? null, byColor[color].p50.get(at) ?? null, byColor[color].p99.get(at) ?? null);
        return points;
      });
    } catch {
      return null;
    }
  }

  async sample(at: number): Promise<TrafficSample> {
    const queries = this.queries;
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
      points[color] = this.point(at, requests, errors, p50, p99);
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

  /** One chart point from the four readings (per second and in seconds); no series counts as none. */
  private point(at: number, requests: number | null, errors: number | null, p50: number | null, p99: number | null): TrafficPoint {
    const rps = requests ?? 0;
    return {
      at,
      rps,
      errorRate: rps > 0 ? Math.min(1, (errors ?? 0) / rps) : null,
      p50Ms: p50 === null ? null : p50 * 1000,
      p99Ms: p99 === null ? null : p99 * 1000,
    };
  }

  private measure(query: string, color: Color): Promise<Measurement> {
    return this.provider.measure(
      { kind: 'prometheus', address: this.settings.address, query, timeout: `${this.settings.timeoutMs}ms`, headers: this.settings.headers as Record<string, string> | undefined },
      { app: this.app, color, version: '', windowMs: this.settings.windowMs },
    );
  }
}
