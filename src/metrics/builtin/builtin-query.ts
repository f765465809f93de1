import * as z from 'zod';
import { durationField } from '../../config/fields.ts';

/** Which of the router's per-color numbers to read. */
export const builtinQuerySchema = z
  .object({
    kind: z.literal('builtin'),
    metric: z
      .enum(['error-rate', 'request-rate', 'latency', 'in-flight'])
      .describe('error-rate: share of 5xx (plus 4xx with include4xx); request-rate: requests/s; latency: seconds at `quantile`; in-flight: open requests now'),
    quantile: z.number().gt(0).lt(1).optional().describe('for latency; default 0.99'),
    include4xx: z.boolean().optional().describe('for error-rate: count 4xx as errors too'),
    listener: z.enum(['main', 'preview']).optional().describe('only traffic through this router listener; default both'),
    url: z.string().url().optional().describe("the router's /metrics URL; default: the router cutover runs"),
    timeout: durationField('per scrape; default 5s').optional(),
  })
  .strict();

export type BuiltinQuery = z.infer<typeof builtinQuerySchema>;
