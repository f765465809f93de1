import { z } from 'zod';
import { DURATION_LIMITS, durationField, hostPortField, parseHostPort } from '../config/fields.ts';
import { parseDuration } from '../config/duration.ts';

export const routerConfigSchema = z.object({
  listen: hostPortField('Where live traffic arrives; it always reaches the live color.').default('127.0.0.1:8080'),
  preview: hostPortField('Where the idle color can be reached, for checks and people.').default('127.0.0.1:8081'),
  metrics: hostPortField('Optional listener serving GET /metrics for Prometheus to scrape.').optional(),
  drainTimeout: durationField('How long requests in flight on the old color may finish after a switch; later they get a 504.').default('30s'),
  maxPause: durationField('How long a paused router holds requests before releasing them.', DURATION_LIMITS.optionalWait).default('10s'),
}).strict().describe('The local router (local platform only).');

export type RouterConfigInput = z.input<typeof routerConfigSchema>;

export interface ResolvedRouterConfig {
  readonly listen: { host: string; port: number };
  readonly preview: { host: string; port: number };
  readonly metrics?: { host: string; port: number };
  readonly drainTimeoutMs: number;
  readonly maxPauseMs: number;
}

export function normalizeRouter(input: z.output<typeof routerConfigSchema>): ResolvedRouterConfig {
  return {
    listen: parseHostPort(input.listen),
    preview: parseHostPort(input.preview),
    metrics: input.metrics ? parseHostPort(input.metrics) : undefined,
    drainTimeoutMs: parseDuration(input.drainTimeout),
    maxPauseMs: parseDuration(input.maxPause),
  };
}
