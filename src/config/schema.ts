import * as z from 'zod';
import { healthSchema, smokeSchema } from '../checks/config-schema.ts';
import { routerConfigSchema } from '../router/config-schema.ts';
import { platformSchema } from '../drivers/registry.ts';
import { migrationsConfigSchema } from '../migrations/config-schema.ts';
import { analysisSchema, notificationsSchema } from '../metrics/config-schema.ts';
import { hooksSchema } from '../hooks/config-schema.ts';
import { progressiveSchema } from '../core/progressive/config-schema.ts';
import { guardrailsSchema } from '../core/guardrails/config-schema.ts';
import { dashboardConfigSchema } from '../dashboard/config-schema.ts';
import { DURATION_LIMITS, durationField } from './fields.ts';

/**
 * The whole of cutover.yaml. This zod schema is the single source of truth: the TypeScript
 * types are inferred from it and `schema/cutover.schema.json` is generated from it.
 */
export const configSchema = z.object({
  $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
  app: z.string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected lower-case letters, digits and "-" (a DNS label, e.g. shop-api)' })
    .max(50)
    .describe('Name of the service; used in Kubernetes object names, metrics and state.'),
  platform: platformSchema,
  router: routerConfigSchema.optional(),
  health: healthSchema.optional(),
  smoke: smokeSchema.optional(),
  gate: z.enum(['auto', 'manual']).default('auto')
    .describe('auto: switch once verified (a TTY still asks unless --yes); manual: always wait for confirmation or `cutover promote`.'),
  monitor: z.object({
    duration: durationField('The bake window after the switch (the runbooks use 5m).').default('5m'),
    interval: durationField('Time between readings during the bake window: health per replica and through the main listener, ready count, real traffic (default 1s). Replica events act at once, whatever the interval.', DURATION_LIMITS.interval).default('1s'),
    failureThreshold: z.number().int().min(1).default(3).describe('Consecutive failed probes that trigger a rollback.'),
  }).strict().default({ duration: '5m', interval: '1s', failureThreshold: 3 }),
  scaleDown: z.object({
    delay: durationField('Wait this long after the bake window before retiring the old color.', DURATION_LIMITS.optionalWait).default('30s'),
    replicas: z.union([z.literal(0), z.literal(1)]).default(0).describe('Replicas the old color keeps (Kubernetes); locally it is always stopped.'),
  }).strict().default({ delay: '30s', replicas: 0 }),
  maintenance: z.object({
    page: z.string().optional().describe('HTML file served while in maintenance mode (relative to this file).'),
    retryAfter: durationField('Retry-After sent with maintenance 503s.', DURATION_LIMITS.optionalWait).default('30s'),
    message: z.string().default('Scheduled maintenance in progress. Please try again shortly.').describe('Default maintenance message.'),
  }).strict().default({ retryAfter: '30s', message: 'Scheduled maintenance in progress. Please try again shortly.' }),
  flags: z.record(z.string(), z.unknown()).default({}).describe('Initial feature flags, passed as FEATURE_FLAGS_JSON.'),
  migrations: migrationsConfigSchema.optional(),
  analysis: analysisSchema.optional(),
  notifications: notificationsSchema.optional(),
  hooks: hooksSchema.optional(),
  progressive: progressiveSchema.optional(),
  guardrails: guardrailsSchema.optional(),
  dashboard: dashboardConfigSchema.optional(),
  preflight: z.object({
    requireHealthyLive: z.boolean().default(true).describe('Refuse to deploy while the live color fails its health probe (--force overrides).'),
  }).strict().default({ requireHealthyLive: true }),
}).strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
