import type { Color } from '../core/types.ts';
import type { ListenerName, StatusClass } from './router-metrics.ts';

/**
 * One (color, listener) pair's counters since the router started, as plain JSON. Counters only
 * grow (a router restart starts them again at 0); readers take the difference of two snapshots.
 */
export interface ListenerCounters {
  /** Completed requests by status class; 502/503/504 the router made itself count as 5xx. */
  requests: Record<StatusClass, number>;
  /** Requests being proxied right now. */
  inFlight: number;
  /** Answers the router made because the upstream failed (refused, reset, no headers in time). */
  upstreamErrors: number;
  /** Age of the oldest request in flight, in seconds (0 when none); kept for the main listener only. */
  oldestInFlightSeconds: number;
  /**
   * Cumulative latency histogram: `latency[i]` requests took at most `latencyBoundsSeconds[i]`;
   * one more entry at the end counts every request (the `+Inf` bucket).
   */
  latency: number[];
  latencySumSeconds: number;
}

/**
 * The router's own counters (the numbers `/metrics` exposes as `cutover_router_*`), for cutover's
 * readers in the same program or behind the admin socket: the builtin metric provider, the bake
 * window's traffic source and the dashboard. JSON, so no reader parses Prometheus text the router
 * wrote a moment before.
 */
export interface RouterCounters {
  /** Upper bounds of the latency buckets, ascending, in seconds (`+Inf` implied after the last). */
  latencyBoundsSeconds: number[];
  colors: Record<Color, Record<ListenerName, ListenerCounters>>;
}
