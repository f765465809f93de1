import type { LiveTraffic, TrafficSource } from '../../core/deps.ts';
import type { Color } from '../../core/types.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import { colorTraffic } from './router-traffic.ts';

/**
 * The bake window's real-traffic source on the local platform: the router's own counters
 * (through the daemon's admin API), main listener only, so checks and previews never count.
 * One snapshot per reading serves both colors' questions; a failed read is a skipped reading.
 */
export function routerTrafficSource(routerCounters: () => Promise<RouterCounters>): TrafficSource {
  return {
    async read(color: Color): Promise<LiveTraffic | null> {
      try {
        const t = colorTraffic(await routerCounters(), color, 'main');
        return {
          requests: t.requests['2xx'] + t.requests['3xx'] + t.requests['4xx'] + t.requests['5xx'],
          errors5xx: t.requests['5xx'],
          upstreamErrors: t.upstreamErrors ?? 0,
          latency: t.buckets,
          inFlight: t.inFlight,
          oldestInFlightMs: (t.oldestInFlightSeconds ?? 0) * 1000,
        };
      } catch {
        return null;
      }
    },
  };
}
