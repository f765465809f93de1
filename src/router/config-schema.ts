import { isIP } from 'node:net';
import * as z from 'zod';
import { byteSizeField, DURATION_LIMITS, durationField, hostPortField, parseByteSize, parseHostPort } from '../config/fields.ts';

/** `10.0.0.7`, `::1`, `10.0.0.0/8`, `fd00::/8`. */
function isAddressOrRange(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 6 ? 128 : 32);
}
import { parseDuration } from '../config/duration.ts';

export const routerConfigSchema = z.object({
  engine: z.enum(['node', 'haproxy']).default('node')
    .describe('The data plane: `node` is cutover\'s own router inside the daemon; `haproxy` runs HAProxy (the Debian `haproxy` package, 2.6+) driven through its Runtime API, for more throughput per core.'),
  listen: hostPortField('Where live traffic arrives; it always reaches the live color.').default('127.0.0.1:8080'),
  preview: hostPortField('Where the idle color can be reached, for checks and people.').default('127.0.0.1:8081'),
  metrics: hostPortField('Optional listener serving GET /metrics for Prometheus to scrape.').optional(),
  drainTimeout: durationField('How long requests in flight on the old color may finish after a switch; later they get a 504.').default('30s'),
  maxPause: durationField('How long a paused router holds requests before releasing them.', DURATION_LIMITS.optionalWait).default('10s'),
  trustedProxies: z.array(z.string().refine(isAddressOrRange, { message: 'expected an IP address or CIDR range, e.g. 10.0.0.0/8' })).default([])
    .describe('Addresses or CIDR ranges (10.0.0.0/8, ::1) of proxies in front of the router. Their X-Forwarded-*, Forwarded and X-Real-IP are kept and appended to; from anyone else those headers are replaced with the peer address.'),
  maxRequestBody: byteSizeField('Request bodies larger than this get 413 Payload Too Large. Off by default.', 1).optional(),
  maxConnections: z.number().int().min(1).optional().describe('Most client connections per listener; more are closed at once. Off by default.'),
}).strict().describe('The local router (local platform only).');

export type RouterConfigInput = z.input<typeof routerConfigSchema>;

export interface ResolvedRouterConfig {
  readonly engine: 'node' | 'haproxy';
  readonly listen: { host: string; port: number };
  readonly preview: { host: string; port: number };
  readonly metrics?: { host: string; port: number };
  readonly drainTimeoutMs: number;
  readonly maxPauseMs: number;
  readonly trustedProxies: readonly string[];
  readonly maxRequestBodyBytes?: number;
  readonly maxConnections?: number;
}

export function normalizeRouter(input: z.output<typeof routerConfigSchema>): ResolvedRouterConfig {
  return {
    engine: input.engine,
    listen: parseHostPort(input.listen),
    preview: parseHostPort(input.preview),
    metrics: input.metrics ? parseHostPort(input.metrics) : undefined,
    drainTimeoutMs: parseDuration(input.drainTimeout),
    maxPauseMs: parseDuration(input.maxPause),
    trustedProxies: input.trustedProxies,
    maxRequestBodyBytes: input.maxRequestBody === undefined ? undefined : parseByteSize(input.maxRequestBody)!,
    maxConnections: input.maxConnections,
  };
}
