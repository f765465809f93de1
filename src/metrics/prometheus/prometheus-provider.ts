import { parseDurationOr } from '../../config/duration.ts';
import { httpGet } from '../http-get.ts';
import { describeError, errorMeasurement, inconclusiveMeasurement, valueMeasurement } from '../measurement.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../provider.ts';
import { renderTemplate } from '../template.ts';
import type { PrometheusQuery } from './prometheus-query.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

type PromSample = [number, string];
interface PromResponse {
  status?: string;
  error?: string;
  data?:
    | { resultType: 'scalar'; result: PromSample }
    | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: PromSample }> }
    | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values: PromSample[] }> }
    | { resultType: 'string'; result: [number, string] };
}

/** PromQL string literals are double-quoted; a version like `1.0"x` must not end one early. */
export const escapePromQL = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * Asks a Prometheus server through `/api/v1/query` (instant) or `/api/v1/query_range`.
 * An empty result or NaN is inconclusive (usually: no traffic yet), never a bad value.
 */
export class PrometheusProvider implements MetricProvider<PrometheusQuery> {
  readonly kind = 'prometheus';

  async measure(query: PrometheusQuery, ctx: MeasureContext, signal?: AbortSignal): Promise<Measurement> {
    const startedAt = Date.now();
    try {
      const promql = renderTemplate(query.query, ctx, escapePromQL);
      const url = new URL(query.range ? 'api/v1/query_range' : 'api/v1/query', query.address.endsWith('/') ? query.address : `${query.address}/`);
      url.searchParams.set('query', promql);
      const nowSec = startedAt / 1_000;
      if (query.range) {
        const rangeMs = parseDurationOr(query.range.duration, ctx.windowMs);
        const stepMs = parseDurationOr(query.range.step, Math.max(1_000, Math.floor(rangeMs / 30)));
        url.searchParams.set('start', String(nowSec - rangeMs / 1_000));
        url.searchParams.set('end', String(nowSec));
        url.searchParams.set('step', String(stepMs / 1_000));
      } else {
        url.searchParams.set('time', String(nowSec));
      }
      const timeoutMs = parseDurationOr(query.timeout, DEFAULT_TIMEOUT_MS);
      const response = await httpGet(url.toString(), { timeoutMs, signal, headers: query.headers });
      let body: PromResponse;
      try {
        body = JSON.parse(response.text) as PromResponse;
      } catch {
        return errorMeasurement(startedAt, `Prometheus at ${query.address} answered ${response.status} with a body that is not JSON: "${response.text.slice(0, 80)}"`);
      }
      if (response.status !== 200 || body.status !== 'success' || !body.data) {
        return errorMeasurement(startedAt, `Prometheus at ${query.address} answered ${response.status}: ${body.error ?? 'no data'} (query: ${promql})`);
      }
      return interpret(body.data, promql, startedAt);
    } catch (err) {
      if (signal?.aborted) return errorMeasurement(startedAt, 'reading was aborted');
      return errorMeasurement(startedAt, describeError(err));
    }
  }
}

function interpret(data: NonNullable<PromResponse['data']>, promql: string, startedAt: number): Measurement {
  if (data.resultType === 'scalar') return single(Number(data.result[1]), undefined, promql, startedAt);
  if (data.resultType === 'string') return errorMeasurement(startedAt, `query returned a string, not a number: ${promql}`);
  const series = data.result;
  if (series.length === 0) return inconclusiveMeasurement(startedAt, `query returned no series (no data yet?): ${promql}`);
  if (series.length > 1) {
    const labels = series.slice(0, 3).map((s) => JSON.stringify(s.metric)).join(', ');
    return errorMeasurement(startedAt, `query returned ${series.length} series (${labels}); aggregate it, e.g. sum(...), so it returns one: ${promql}`);
  }
  if (data.resultType === 'vector') return single(Number(data.result[0].value[1]), undefined, promql, startedAt);
  const points = data.result[0].values.map(([, v]) => Number(v)).filter(Number.isFinite);
  if (points.length === 0) return inconclusiveMeasurement(startedAt, `range query returned no finite points (no traffic in the window?): ${promql}`);
  return single(points[points.length - 1], points, promql, startedAt);
}

function single(value: number, values: number[] | undefined, promql: string, startedAt: number): Measurement {
  if (!Number.isFinite(value)) return inconclusiveMeasurement(startedAt, `query returned ${value} (no traffic in the window?): ${promql}`);
  return valueMeasurement(startedAt, value, values ? { values } : {});
}
