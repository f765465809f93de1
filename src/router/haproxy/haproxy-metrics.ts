import type { Color } from '../../core/types.ts';
import { COLORS } from '../../core/types.ts';
import type { ListenerStats } from '../router.ts';
import type { ListenerCounters, RouterCounters } from '../router-counters.ts';
import { LATENCY_BUCKETS_SECONDS, type TrafficCounters } from '../router-metrics.ts';
import type { RequestLogHistogram } from './request-log-histogram.ts';
import type { StatRow } from './runtime-api.ts';

type Listener = 'main' | 'preview';
const LISTENERS: readonly Listener[] = ['main', 'preview'];
const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v));

/**
 * The WebSocket handshakes and event streams one (color, listener) had through the daemon's
 * relay (long-lived-relay.ts), counted by the Node router's own code; null when it had none.
 * HAProxy sends them to its `long_lived` backend, so no per-color backend row holds them:
 * every figure below is HAProxy's row plus these, as the Node engine counts them all together.
 */
export type RelayedTraffic = (color: Color, listener: Listener) => TrafficCounters | null;

const NOTHING_RELAYED: RelayedTraffic = () => null;

/**
 * One backend's counters as the router reports them, with what the relay had for it. `stot`
 * counts every request HAProxy assigned to the backend, so completed = stot - scur and
 * accepted = requests + inFlight = stot (plus the relay's), the number the switch proof compares.
 */
export function listenerStatsOf(row: StatRow | undefined, relayed: TrafficCounters | null = null): ListenerStats {
  const inFlight = num(row?.['scur']) + (relayed?.inFlight ?? 0);
  const byClass = relayed?.byClass ?? [0, 0, 0, 0];
  return {
    requests: num(row?.['stot']) - num(row?.['scur']) + (relayed?.requests ?? 0),
    inFlight,
    // 1xx (a 101 upgrade) counts as 2xx, as the Node router's class index does.
    byClass: {
      '2xx': num(row?.['hrsp_1xx']) + num(row?.['hrsp_2xx']) + byClass[0]!,
      '3xx': num(row?.['hrsp_3xx']) + byClass[1]!,
      '4xx': num(row?.['hrsp_4xx']) + byClass[2]!,
      '5xx': num(row?.['hrsp_5xx']) + byClass[3]!,
    },
  };
}

/** Connection and response errors on a backend's replicas, plus the relay's upstream errors. */
function upstreamErrorsOf(row: StatRow | undefined, relayed: TrafficCounters | null): number {
  return num(row?.['econ']) + num(row?.['eresp']) + (relayed?.upstreamErrors ?? 0);
}

/** A backend's latency from HAProxy's request log and the relay's, cumulative per bound then `+Inf`. */
function latencyOf(latency: RequestLogHistogram | null, backend: string, relayed: TrafficCounters | null): { latency: number[]; sumSeconds: number } {
  const logged = latency?.cumulative(backend) ?? { latency: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sumSeconds: 0 };
  if (relayed === null) return logged;
  const more = relayed.latency.cumulative();
  return { latency: logged.latency.map((n, i) => n + more[i]!), sumSeconds: logged.sumSeconds + relayed.latency.sum };
}

/** `cutover_router_request_duration_seconds` in Prometheus text: a series per backend with a sample. */
function latencyText(latency: RequestLogHistogram | null, relayed: RelayedTraffic): string {
  const out = [
    '# HELP cutover_router_request_duration_seconds Time from receiving a request to sending the last byte of its response, per color and listener (from HAProxy\'s request log and the daemon\'s relay).',
    '# TYPE cutover_router_request_duration_seconds histogram',
  ];
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      const h = latencyOf(latency, `${listener}_${color}`, relayed(color, listener));
      const total = h.latency.at(-1)!;
      if (total === 0) continue;
      const labels = `color="${color}",listener="${listener}"`;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => out.push(`cutover_router_request_duration_seconds_bucket{${labels},le="${le}"} ${h.latency[i]}`));
      out.push(`cutover_router_request_duration_seconds_bucket{${labels},le="+Inf"} ${total}`);
      out.push(`cutover_router_request_duration_seconds_sum{${labels}} ${h.sumSeconds}`);
      out.push(`cutover_router_request_duration_seconds_count{${labels}} ${total}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function backendRow(rows: readonly StatRow[], name: string): StatRow | undefined {
  return rows.find((r) => r['pxname'] === name && r['svname'] === 'BACKEND');
}

/**
 * `show stat` (and the relay's counters) rendered in the Node router's metric names
 * (`cutover_router_*`), so the builtin metric provider, the bake window's traffic source and
 * any Prometheus query written for the Node engine read HAProxy the same way. The latency
 * histogram comes from HAProxy's request log instead (request-log-histogram.ts), and the relay's.
 */
export function prometheusText(rows: readonly StatRow[], live: Color | null, oldestInFlight: Record<Color, number>, latency: RequestLogHistogram | null = null, relayed: RelayedTraffic = NOTHING_RELAYED): string {
  const out: string[] = [];
  out.push('# HELP cutover_router_requests_total Requests answered, per color, listener and status class (from HAProxy show stat).');
  out.push('# TYPE cutover_router_requests_total counter');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      const s = listenerStatsOf(backendRow(rows, `${listener}_${color}`), relayed(color, listener));
      for (const cls of ['2xx', '3xx', '4xx', '5xx'] as const) {
        out.push(`cutover_router_requests_total{color="${color}",listener="${listener}",class="${cls}"} ${s.byClass[cls]}`);
      }
    }
  }
  out.push('# HELP cutover_router_requests_in_flight Requests being proxied right now, per color and listener.');
  out.push('# TYPE cutover_router_requests_in_flight gauge');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      out.push(`cutover_router_requests_in_flight{color="${color}",listener="${listener}"} ${listenerStatsOf(backendRow(rows, `${listener}_${color}`), relayed(color, listener)).inFlight}`);
    }
  }
  out.push('# HELP cutover_router_upstream_errors_total Connection and response errors HAProxy (and the daemon\'s relay) saw on each color\'s replicas.');
  out.push('# TYPE cutover_router_upstream_errors_total counter');
  for (const color of COLORS) {
    for (const listener of LISTENERS) {
      out.push(`cutover_router_upstream_errors_total{color="${color}",listener="${listener}"} ${upstreamErrorsOf(backendRow(rows, `${listener}_${color}`), relayed(color, listener))}`);
    }
  }
  out.push('# HELP cutover_router_oldest_in_flight_seconds Age of the oldest request the main listener is proxying to each color (0 when none).');
  out.push('# TYPE cutover_router_oldest_in_flight_seconds gauge');
  for (const color of COLORS) out.push(`cutover_router_oldest_in_flight_seconds{color="${color}",listener="main"} ${oldestInFlight[color]}`);
  out.push('# HELP cutover_router_live_color_info 1 for the color the main listener serves, 0 for the other.');
  out.push('# TYPE cutover_router_live_color_info gauge');
  for (const color of COLORS) out.push(`cutover_router_live_color_info{color="${color}"} ${live === color ? 1 : 0}`);
  return `${out.join('\n')}\n${latencyText(latency, relayed)}`;
}

/**
 * `show stat` and the request-log histogram as the Node router's JSON counters (`RouterCounters`),
 * the numbers `prometheusText` and the histogram's text show, for cutover's own readers.
 */
export function routerCountersOf(rows: readonly StatRow[], oldestInFlight: Record<Color, number>, latency: RequestLogHistogram | null, relayed: RelayedTraffic = NOTHING_RELAYED): RouterCounters {
  const colors = {} as RouterCounters['colors'];
  for (const color of COLORS) {
    const listener = (name: Listener): ListenerCounters => {
      const row = backendRow(rows, `${name}_${color}`);
      const extra = relayed(color, name);
      const histogram = latencyOf(latency, `${name}_${color}`, extra);
      const stats = listenerStatsOf(row, extra);
      return {
        requests: stats.byClass,
        inFlight: stats.inFlight,
        upstreamErrors: upstreamErrorsOf(row, extra),
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
