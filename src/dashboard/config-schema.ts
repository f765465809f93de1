import * as z from 'zod';
import { DURATION_LIMITS, durationField } from '../config/fields.ts';
import { parseDuration } from '../config/duration.ts';
import { CutoverError } from '../core/errors.ts';
import { unknownPlaceholders } from '../metrics/template.ts';

/** Placeholders a chart query may use: a chart is about one color of one app, over a rate window. */
const CHART_PLACEHOLDERS = ['app', 'color', 'window'];

// Defaults follow the names most HTTP instrumentation libraries use, with the pod labels `app`
// and `color` (cutover sets both on every pod) carried onto the series by the scrape config.
const DEFAULT_REQUESTS = 'sum(rate(http_requests_total{app="${app}",color="${color}"}[${window}]))';
const DEFAULT_ERRORS = 'sum(rate(http_requests_total{app="${app}",color="${color}",code=~"5.."}[${window}]))';
const DEFAULT_LATENCY = 'sum by (le) (rate(http_request_duration_seconds_bucket{app="${app}",color="${color}"}[${window}]))';

const chartQuery = (what: string, fallback: string) => z.string().min(1)
  .superRefine((text, ctx) => {
    const unknown = unknownPlaceholders(text, CHART_PLACEHOLDERS);
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown placeholder \${${unknown[0]}} (known here: ${CHART_PLACEHOLDERS.join(', ')})` });
  })
  .default(fallback)
  .describe(`PromQL for ${what}; \${app}, \${color} and \${window} are substituted. Default: ${fallback}`);

const prometheusTrafficSchema = z.object({
  address: z.string().url().describe('Base URL of the Prometheus server that scrapes the app, e.g. http://prometheus.monitoring:9090'),
  requests: chartQuery('one color\'s requests per second (one series)', DEFAULT_REQUESTS),
  errors: chartQuery('one color\'s 5xx answers per second (no series counts as 0)', DEFAULT_ERRORS),
  latency: chartQuery('one color\'s latency histogram in seconds, as rates by `le` (cutover takes histogram_quantile 0.5 and 0.99 of it)', DEFAULT_LATENCY),
  window: durationField('The rate window of the queries (default 1m: at least four scrapes of a 15s scrape interval).', DURATION_LIMITS.span).default('1m'),
  interval: durationField('How often the dashboard asks Prometheus (default 5s).', DURATION_LIMITS.interval).default('5s'),
  timeout: durationField('Per request (default 5s).').default('5s'),
  headers: z.record(z.string(), z.string()).optional().describe('Sent with every request, e.g. an Authorization header.'),
}).strict();

/** `dashboard:` in cutover.yaml. */
export const dashboardConfigSchema = z.object({
  traffic: z.object({
    prometheus: prometheusTrafficSchema.describe('Where the per-color charts come from on a platform without cutover\'s router (Kubernetes); also replaces the router as their source locally.'),
  }).strict().optional().describe('The source of the per-color charts (requests per second, error rate, p50/p99). Without it the local router is the source; on Kubernetes there are then no charts.'),
}).strict().describe('The dashboard (`cutover dashboard`).');

export interface PrometheusTrafficSettings {
  readonly address: string;
  readonly requests: string;
  readonly errors: string;
  readonly latency: string;
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DashboardSettings {
  /** Absent: the charts come from the router, when the platform has one. */
  readonly prometheus?: PrometheusTrafficSettings;
}

/**
 * Validates and resolves the raw `dashboard:` section; absent means no traffic source of its own.
 * @throws CutoverError('config') naming the field path.
 */
export function resolveDashboardSettings(raw: unknown): DashboardSettings {
  const parsed = dashboardConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['dashboard', ...issue.path].join('.');
    throw new CutoverError('config', `${path}: ${issue.message}`, { details: { path } });
  }
  const p = parsed.data.traffic?.prometheus;
  if (!p) return {};
  return {
    prometheus: {
      address: p.address,
      requests: p.requests,
      errors: p.errors,
      latency: p.latency,
      windowMs: parseDuration(p.window),
      intervalMs: parseDuration(p.interval),
      timeoutMs: parseDuration(p.timeout),
      headers: p.headers,
    },
  };
}
