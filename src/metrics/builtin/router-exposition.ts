import { COLORS, type Color } from '../../core/types.ts';
import type { ListenerCounters, RouterCounters } from '../../router/router-counters.ts';
import type { ListenerName, StatusClass } from '../../router/router-metrics.ts';
import { parsePrometheusText, type Sample } from './prometheus-text.ts';

const REQUESTS = 'cutover_router_requests_total';
const BUCKETS = 'cutover_router_request_duration_seconds_bucket';
const LATENCY_SUM = 'cutover_router_request_duration_seconds_sum';
const IN_FLIGHT = 'cutover_router_requests_in_flight';
const UPSTREAM_ERRORS = 'cutover_router_upstream_errors_total';
const OLDEST_IN_FLIGHT = 'cutover_router_oldest_in_flight_seconds';

const LISTENERS: readonly ListenerName[] = ['main', 'preview'];

/**
 * Reads a router's `/metrics` exposition (the `url` of a builtin query: a router this process
 * does not run) into the counters cutover's own router hands over as JSON, so both feed one
 * calculation. A series the text lacks reads as zero (a router shows a latency series only once
 * it has an observation); the latency bounds are the ones the text uses.
 * @throws Error when the text is not the exposition format, or has no `cutover_router_*` sample
 *   (naming `where`, the URL it came from).
 */
export function routerCountersFromText(text: string, where: string): RouterCounters {
  const samples = parsePrometheusText(text).filter((s) => s.name.startsWith('cutover_router_'));
  if (samples.length === 0) throw new Error(`${where} exposes no cutover_router_* metrics`);
  const bounds = [...new Set(samples.filter((s) => s.name === BUCKETS).map((s) => Number(s.labels.le)).filter(Number.isFinite))].sort((a, b) => a - b);
  const colors = {} as RouterCounters['colors'];
  for (const color of COLORS) {
    colors[color] = { main: listenerCounters(samples, color, 'main', bounds), preview: listenerCounters(samples, color, 'preview', bounds) };
  }
  return { latencyBoundsSeconds: bounds, colors };
}

function listenerCounters(all: readonly Sample[], color: Color, listener: ListenerName, bounds: readonly number[]): ListenerCounters {
  const requests: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  const counters: ListenerCounters = { requests, inFlight: 0, upstreamErrors: 0, oldestInFlightSeconds: 0, latency: [], latencySumSeconds: 0 };
  const byBound: Array<{ le: number; count: number }> = [];
  for (const s of all) {
    if (s.labels.color !== color || s.labels.listener !== listener) continue;
    if (s.name === REQUESTS) {
      const cls = s.labels.class as StatusClass;
      if (cls in requests) requests[cls] += s.value;
    } else if (s.name === BUCKETS) {
      byBound.push({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value });
    } else if (s.name === LATENCY_SUM) {
      counters.latencySumSeconds += s.value;
    } else if (s.name === IN_FLIGHT) {
      counters.inFlight += s.value;
    } else if (s.name === UPSTREAM_ERRORS) {
      counters.upstreamErrors += s.value;
    } else if (s.name === OLDEST_IN_FLIGHT) {
      counters.oldestInFlightSeconds = Math.max(counters.oldestInFlightSeconds, s.value);
    }
  }
  // Cumulative: a bound this series does not list holds what its next lower bound holds.
  byBound.sort((a, b) => a.le - b.le);
  const atOrBelow = (bound: number) => byBound.filter((b) => b.le <= bound).at(-1)?.count ?? 0;
  counters.latency = [...bounds, Infinity].map(atOrBelow);
  return counters;
}
