import * as z from 'zod';
import { compileCondition } from '../core/analysis/condition.ts';
import { DURATION_LIMITS, durationField } from '../config/fields.ts';
import { PROVIDERS } from './registry.ts';
import { unknownPlaceholders } from './template.ts';

const [first, ...rest] = PROVIDERS.map((p) => p.querySchema);

/** `provider:` of a metric: one shape per registered kind, chosen by `kind`. */
export const providerQuerySchema = z.discriminatedUnion('kind', [first, ...rest]).superRefine((query, ctx) => {
  for (const [key, value] of Object.entries(query)) {
    const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
    for (const text of texts) {
      const unknown = unknownPlaceholders(text);
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', path: [key], message: `unknown placeholder \${${unknown[0]}} (known: app, color, version, window, targetUrl)` });
    }
  }
});

const conditionSchema = z
  .string()
  .superRefine((text, ctx) => {
    try {
      compileCondition(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  })
  .describe('true when the value is good, e.g. "result < 0.01"; the value is `result`');

const baselineOptionsSchema = z
  .object({
    direction: z.enum(['increase', 'decrease', 'either']).optional().describe('which change is bad; default increase (errors, latency)'),
    alpha: z.number().gt(0).lt(1).optional().describe('significance level of the Mann-Whitney U test; default 0.05'),
    minSamples: z.number().int().min(3).optional().describe('samples per color before judging; default 5'),
    maxSamples: z.number().int().min(3).optional().describe('only the latest samples are compared; default 120'),
    minEffect: z
      .object({
        relative: z.number().min(0).optional().describe("share of the old color's median; default 0.2"),
        absolute: z.number().min(0).optional().describe('in the metric units; default 0'),
      })
      .strict()
      .optional()
      .describe('the smallest shift that counts as worse'),
  })
  .strict();

/** One metric under `analysis.pre` or `analysis.post`. */
export const metricSchema = z
  .object({
    name: z.string().min(1),
    provider: providerQuerySchema,
    interval: durationField('time between readings; default 5s', DURATION_LIMITS.interval).optional(),
    count: z.number().int().positive().optional().describe('number of readings'),
    duration: durationField('read until this much time has passed; default for post: the bake window').optional(),
    initialDelay: durationField('wait before the first reading; default 0', DURATION_LIMITS.optionalWait).optional(),
    window: durationField('how far back each reading looks; default: the interval', DURATION_LIMITS.span).optional(),
    timeout: durationField('a reading taking longer is an error; default 30s').optional(),
    condition: conditionSchema.optional(),
    baseline: z
      .union([z.literal(true), baselineOptionsSchema])
      .optional()
      .describe('compare the new color with the old one over the same window (Mann-Whitney U)'),
    failureLimit: z.number().int().min(0).optional().describe('failed readings tolerated; default 0'),
    inconclusiveLimit: z.number().int().min(0).optional().describe('inconclusive readings tolerated; default 3'),
    consecutiveErrorLimit: z.number().int().min(0).optional().describe('readings in a row that may error; default 4'),
    critical: z.boolean().optional().describe('a failure rolls back at any traffic share; default true'),
  })
  .strict()
  .superRefine((metric, ctx) => {
    if (metric.condition === undefined && metric.baseline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['condition'], message: 'give a condition (e.g. "result < 0.01"), baseline: true, or both' });
    }
    if (metric.count !== undefined && metric.duration !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give count or duration, not both' });
    }
  });

function uniqueNames(list: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((metric, index) => {
    if (seen.has(metric.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `metric name "${metric.name}" is used twice` });
    seen.add(metric.name);
  });
}

/** The `analysis:` key of cutover.yaml. */
export const analysisSchema = z
  .object({
    pre: z.array(metricSchema).superRefine(uniqueNames).optional().describe('against the preview, before the switch'),
    post: z.array(metricSchema).superRefine(uniqueNames).optional().describe('during the bake window after the switch; a failure rolls back'),
  })
  .strict();

export const NOTIFICATION_EVENTS = ['operation-started', 'phase-finished', 'verdict', 'operation-finished'] as const;

const webhookSchema = z
  .object({
    url: z.string().url(),
    format: z.enum(['json', 'slack']).optional().describe('json (default): the event as is; slack: {"text": ...}'),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional().describe('default: all'),
    timeout: durationField('per attempt; default 5s').optional(),
    retries: z.number().int().min(0).max(10).optional().describe('extra attempts after a failure; default 3'),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** The `notifications:` key of cutover.yaml. */
export const notificationsSchema = z
  .object({
    webhooks: z.array(webhookSchema).optional(),
  })
  .strict();

export type ProviderQueryConfig = z.infer<typeof providerQuerySchema>;
export type MetricConfig = z.infer<typeof metricSchema>;
export type AnalysisConfig = z.infer<typeof analysisSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type NotificationsConfig = z.infer<typeof notificationsSchema>;
