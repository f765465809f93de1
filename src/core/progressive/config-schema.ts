import * as z from 'zod';
import { durationField } from '../../config/fields.ts';
import { parseDuration } from '../../config/duration.ts';
import { CutoverError } from '../errors.ts';
import type { SplitRouting } from '../driver.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const nameField = (what: string) => z.string().regex(TOKEN, { message: `expected a valid ${what} name (letters, digits, "-", "_")` });

const cohortMatchSchema = (what: 'header' | 'cookie') => z.object({
  name: nameField(what).describe(`The ${what} to read.`),
  values: z.array(z.string()).min(1).describe(`Values of the ${what} that put a request in the cohort.`),
}).strict();

/** `progressive:` in cutover.yaml: a weighted shift to the new color, with analysis at each step. */
export const progressiveSchema = z.object({
  steps: z.array(z.number().min(0).lt(100))
    .min(1)
    .refine((steps) => steps.every((s, i) => i === 0 || s > steps[i - 1]!), { message: 'steps must increase, e.g. [10, 50]' })
    .describe('Percent of live traffic on the new color at each step before 100, e.g. [10, 50].'),
  stepDuration: durationField('How long each step lasts; post-promotion analysis and health probes run throughout.').default('30s'),
  sticky: z.union([
    z.object({ cookie: nameField('cookie').describe('Cookie in which the router keeps each client\'s bucket.') }).strict(),
    z.object({ header: nameField('header').describe('Header whose value is hashed to pick the color, e.g. x-user-id.') }).strict(),
  ]).default({ cookie: 'cutover-color' }).describe('Keeps each client on one color for the whole rollout.'),
  cohort: z.object({
    header: cohortMatchSchema('header').optional(),
    cookie: cohortMatchSchema('cookie').optional(),
  }).strict().optional().describe('Users sent to the new color from the first step, before any percentage.'),
}).strict().superRefine((value, ctx) => {
  if (value.steps[0] === 0 && !value.cohort?.header && !value.cohort?.cookie) {
    ctx.addIssue({ code: 'custom', path: ['steps', 0], message: 'a 0% step only makes sense with a cohort' });
  }
});

export type ProgressiveConfig = z.output<typeof progressiveSchema>;

/** `progressive:` resolved for the core: milliseconds and a routing the driver understands. */
export interface ProgressiveSettings {
  readonly steps: readonly number[];
  readonly stepDurationMs: number;
  readonly routing: SplitRouting;
}

/**
 * Validates and resolves the raw `progressive:` section (undefined when absent).
 * @throws CutoverError('config') naming the field path.
 */
export function resolveProgressive(raw: unknown): ProgressiveSettings | undefined {
  if (raw === undefined) return undefined;
  const parsed = progressiveSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['progressive', ...issue.path].join('.');
    throw new CutoverError('config', `${path}: ${issue.message}`, { details: { path } });
  }
  const config = parsed.data;
  return {
    steps: config.steps,
    stepDurationMs: parseDuration(config.stepDuration),
    routing: {
      sticky: 'cookie' in config.sticky ? { cookie: config.sticky.cookie } : { header: config.sticky.header },
      cohort: config.cohort && (config.cohort.header || config.cohort.cookie) ? { header: config.cohort.header, cookie: config.cohort.cookie } : undefined,
    },
  };
}
