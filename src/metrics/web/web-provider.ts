import { parseDurationOr } from '../../config/duration.ts';
import { httpGet } from '../http-get.ts';
import { describeError, errorMeasurement, inconclusiveMeasurement, valueMeasurement } from '../measurement.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../provider.ts';
import { renderTemplate } from '../template.ts';
import { formatPath, lookupJsonPath, parseJsonPath } from '../../config/json-path.ts';
import type { WebQuery } from './web-query.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * GETs a JSON document and reads one number from it. A number, a numeric string or a
 * boolean (1/0) is a value; an array of numbers gives samples (the last is the value);
 * `null` is inconclusive; a missing path, another type or a non-2xx answer is an error.
 */
export class WebProvider implements MetricProvider<WebQuery> {
  readonly kind = 'web';

  async measure(query: WebQuery, ctx: MeasureContext, signal?: AbortSignal): Promise<Measurement> {
    const startedAt = Date.now();
    try {
      const url = renderTemplate(query.url, ctx, (value, name) => (name === 'targetUrl' ? value : encodeURIComponent(value)));
      const segments = parseJsonPath(query.path ?? '');
      const timeoutMs = parseDurationOr(query.timeout, DEFAULT_TIMEOUT_MS);
      const response = await httpGet(url, { timeoutMs, signal, headers: { accept: 'application/json', ...query.headers } });
      if (response.status < 200 || response.status > 299) {
        return errorMeasurement(startedAt, `GET ${url} answered ${response.status}: "${response.text.slice(0, 80)}"`);
      }
      let body: unknown;
      try {
        body = JSON.parse(response.text);
      } catch {
        return errorMeasurement(startedAt, `GET ${url} did not return JSON: "${response.text.slice(0, 80)}"`);
      }
      const where = `${formatPath(segments)} of ${url}`;
      const lookup = lookupJsonPath(body, segments);
      if ('missing' in lookup) return errorMeasurement(startedAt, `GET ${url}: the JSON has no ${lookup.missing}`);
      return toMeasurement(lookup.found, where, startedAt);
    } catch (err) {
      if (signal?.aborted) return errorMeasurement(startedAt, 'reading was aborted');
      return errorMeasurement(startedAt, describeError(err));
    }
  }
}

function toMeasurement(found: unknown, where: string, startedAt: number): Measurement {
  if (found === null) return inconclusiveMeasurement(startedAt, `${where} is null`);
  if (Array.isArray(found)) {
    const values = found.map(toNumber);
    if (values.length === 0) return inconclusiveMeasurement(startedAt, `${where} is an empty list`);
    if (values.some((v) => v === undefined)) return errorMeasurement(startedAt, `${where} is a list with entries that are not numbers`);
    return valueMeasurement(startedAt, values.at(-1)!, { values: values as number[] });
  }
  const value = toNumber(found);
  if (value === undefined) return errorMeasurement(startedAt, `${where} is ${JSON.stringify(found)?.slice(0, 60)}, not a number`);
  return valueMeasurement(startedAt, value);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
