import * as z from 'zod';
import { DURATION_LIMITS, durationField } from '../../config/fields.ts';

/** A PromQL query against a Prometheus server's HTTP API. */
export const prometheusQuerySchema = z
  .object({
    kind: z.literal('prometheus'),
    address: z.string().url().describe('base URL of the Prometheus server, e.g. http://127.0.0.1:9090'),
    query: z
      .string()
      .min(1)
      .describe('PromQL returning one series; ${color}, ${version}, ${app} and ${window} are substituted'),
    range: z
      .object({
        duration: durationField('how far back; default: the measurement window', DURATION_LIMITS.span).optional(),
        step: durationField('resolution; default: the range / 30, at least 1s', DURATION_LIMITS.span).optional(),
      })
      .strict()
      .optional()
      .describe('run a range query; every point becomes a sample, the last one the value'),
    timeout: durationField('per request; default 5s').optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type PrometheusQuery = z.infer<typeof prometheusQuerySchema>;
