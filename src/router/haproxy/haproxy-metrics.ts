import type { Color } from '../../core/types.ts';
import { COLORS } from '../../core/types.ts';
import type { ListenerStats } from '../router.ts';
import type { ListenerCounters, RouterCounters } from '../router-counters.ts';
import { LATENCY_BUCKETS_SECONDS } from '../router-metrics.ts';
import type { RequestLogHistogram } from './request-log-histogram.ts';
import type { StatRow } from './runtime-api.ts';

type Listener = 'main' | 'preview';
const LISTENERS: readonly Listener[] = ['main', 'preview'];
const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v));

/**
 * One backend's counters as the router reports them. `stot` counts every request HAProxy
 * assigned to the backend, so completed = stot - scur and accepted = requests + inFlight =
 * stot, the number the switch proof compares.
 */
export function listenerStatsOf(row: StatRow | undefined): ListenerStats {
  if (!row) return { requests: 0, inFlight: 0, byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } };
  const inFlight = num(row['scur']);
  return {
    requests: num(row['stot']) - inFlight,
    inFlight,
    // 1xx (a 101 upgrade) counts as 2xx, as the Node router's class index does.
    byClass: { '2xx': num(row['hrsp_1xx']) + num(row['hrsp_2xx']), '3xx': num(row['hrsp_3xx']), '4xx': num(row['hrsp_4xx']), '5xx': num(row['hrsp_5xx']) },
  };
}

export function backendRow(rows: readonly StatRow[], name: string): StatRow | undefined {
  return rows.find((r) => r['pxname'] === name && r['svname'] === 'BACKEND');
}

/**
 * `show stat` rendered in the Node router's metric names (`cutover_router_*`), so the
 * builtin metric provider, the bake window's traffic source and any Prometheus query
 * written for the Node engine read HAProxy the same way. The latency histogram comes from
 * HAProxy's request log instead (request-log-histogram.ts).
 */
export function prometheusText(rows: readonly StatRow[], live: Color | null, oldestInFlight: Record<Color, number>): string {
  const out: string[] = [];
  out.push('# HELP cutover_router_requests_total Requests answered, per color, listener and status class (from HAProxy show stat).');
  out.push('# TYPE cutover_router_requests_total counter');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      const s = listenerStatsOf(backendRow(rows, `${listener}_${color}`));
      for (const cls of ['2xx', '3xx', '4xx', '5xx'] as const) {
        out.push(`cutover_router_requests_total{color="${color}",listener="${listener}",class="${cls}"} ${s.byClass[cls]}`);
      }
    }
  }
  out.push('# HELP cutover_router_requests_in_flight Requests being proxied right now, per color and listener.');
  out.push('# TYPE cutover_router_requests_in_flight gauge');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      out.push(`cutover_router_requests_in_flight{color="${color}",listener="${listener}"} ${num(backendRow(rows, `${listener}_${color}`)?.['scur'])}`);
    }
  }
  out.push('# HELP cutover_router_upstream_errors_total Connection and response errors HAProxy saw on each color\'s replicas.');
  out.push('# TYPE cutover_router_upstream_errors_total counter');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      const row = backendRow(rows, `${listener}_${color}`);
      out.push(`cutover_router_upstream_errors_total{color="${color}",listener="${listener}"} ${num(row?.['econ']) + num(row?.['eresp'])}`);
    }
  }
  out.push('# HELP cutover_router_oldest_in_flight_seconds Age of the oldest request the main listener is proxying to each color (0 when none).');
  out.push('# TYPE cutover_router_oldest_in_flight_seconds gauge');
  for (const color of COLORS) out.push(`cutover_router_oldest_in_flight_seconds{color="${color}",listener="main"} ${oldestInFlight[color]}`);
  out.push('# HELP cutover_router_live_color_info 1 for the color the main listener serves, 0 for the other.');
  out.push('# TYPE cutover_router_live_color_info gauge');
  for (const color of COLORS) out.push(`cutover_router_live_color_info{color="${color}"} ${live === color ? 1 : 0}`);
  return `${out.join('\n')}\n`;
}

/**
 * `show stat` and the request-log histogram as the Node router's JSON counters (`RouterCounters`),
 * the numbers `prometheusText` and the histogram's text show, for cutover's own readers.
 */
export function routerCountersOf(rows: readonly StatRow[], oldestInFlight: Record<Color, number>, latency: RequestLogHistogram | null): RouterCounters {
  const colors = {} as RouterCounters['colors'];
  for (const color of COLORS) {
    const listener = (name: Listener): ListenerCounters => {
      const row = backendRow(rows, `${name}_${color}`);
      const histogram = latency?.cumulative(`${name}_${color}`) ?? { latency: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sumSeconds: 0 };
      return {
        requests: listenerStatsOf(row).byClass,
        inFlight: num(row?.['scur']),
        upstreamErrors: num(row?.['econ']) + num(row?.['eresp']),
        oldestInFlightSeconds: name === 'main' ? oldestInFlight[color] : 0,
        latency: histogram.latency,
        latencySumSeconds: histogram.sumSeconds,
      };
    };
    colors[color] = { main: listener('main'), preview: listener('preview') };
  }
  return { latencyBoundsSeconds: [...LATENCY_BUCKETS_SECONDS], colors };
}

/** `age=1h2m3s` in a `show sess` line, in seconds. */
function ageSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) total += Number(n) * ({ d: 86_400, h: 3_600, m: 60, s: 1 }[unit as 'd' | 'h' | 'm' | 's']);
  return total;
}

/** The oldest session per color on the main backends, from `show sess` (whole seconds: HAProxy's resolution there). */
export function oldestSessions(showSess: string): Record<Color, number> {
  const oldest: Record<Color, number> = { blue: 0, green: 0 };
  for (const line of showSess.split('\n')) {
    const be = / be=main_(blue|green) /.exec(line);
    const age = / age=(\S+) /.exec(line);
    if (!be || !age) continue;
    const color = be[1] as Color;
    oldest[color] = Math.max(oldest[color], ageSeconds(age[1]!));
  }
  return oldest;
}
