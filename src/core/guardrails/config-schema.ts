import * as z from 'zod';
import { DURATION_LIMITS, durationField } from '../../config/fields.ts';
import { parseDuration } from '../../config/duration.ts';
import { CutoverError } from '../errors.ts';

const enabled = (what: string) => z.boolean().default(true).describe(`Watch ${what}; false turns this signal off.`);

/**
 * `guardrails:` in cutover.yaml: the bake window's builtin signals. Every one is on with
 * nothing configured; each default is chosen so that a healthy release on a busy 2-core machine
 * is never rolled back (a minimum sample and a minimum effect for every signal), while a crash,
 * an error storm or a hang is caught within a few readings.
 */
export const guardrailsSchema = z.object({
  replicaEvents: enabled('replica and pod events (exits, restarts, crash loops, OOM kills, memory past platform.memoryLimit); they roll back at once, without waiting for a reading'),
  readyCount: z.object({
    enabled: enabled('the ready count: fewer ready replicas than desired'),
    readings: z.number().int().min(1).default(2).describe('Consecutive readings with fewer ready than desired that roll back (default 2). A replica the platform replaced on purpose (a pod evicted and recreated) gets the provision timeout to come back instead.'),
  }).strict().prefault({}),
  mainListener: enabled('health through the main listener, so a dead router or listener is caught even when every replica answers'),
  traffic: z.object({
    enabled: enabled('real traffic on the new color as the router sees it, against the old color just before the switch (local platform)'),
    interval: durationField('How often the bake window reads the router\'s counters for these signals (default 250ms). The counters are in the daemon\'s memory, so a reading is cheap; reading more often than `monitor.interval` lets a stuck or slow request be judged within a fraction of a second of crossing its threshold.', DURATION_LIMITS.interval).default('250ms'),
    window: durationField('Traffic signals judge the requests of this recent window (default 5s).').default('5s'),
    minRequests: z.number().int().min(1).default(20).describe('Requests the new color must have served in the window before a rate is judged (default 20).'),
    errorRate: z.object({
      enabled: enabled('the 5xx rate'),
      minIncrease: z.number().gt(0).max(1).default(0.05).describe('Rolls back when the 5xx rate is this much above the old color\'s (0.05: 5 percentage points) and at least twice it (default 0.05).'),
      minErrors: z.number().int().min(1).default(5).describe('5xx answers needed in the window before the rate counts (default 5).'),
    }).strict().prefault({}),
    upstreamErrors: z.object({
      enabled: enabled('upstream errors: refused or reset connections and timeouts, answered by the router as 502/504'),
      minIncrease: z.number().gt(0).max(1).default(0.02).describe('Rolls back when the share of upstream errors is this much above the old color\'s and at least twice it (default 0.02).'),
      minErrors: z.number().int().min(1).default(3).describe('Upstream errors needed in the window (default 3).'),
    }).strict().prefault({}),
    latency: z.object({
      enabled: enabled('latency: the median of requests as they complete and one-second p99 readings, against the old color before the switch (Mann-Whitney U test with effect floors)'),
      minSamples: z.number().int().min(2).default(3).describe('One-second p99 readings of the new color needed before its p99 is judged (default 3).'),
      minRequestsPerReading: z.number().int().min(1).default(5).describe('A one-second reading counts as a p99 sample only with this many requests (default 5; a slow release under closed-loop load serves few).'),
      minRequests: z.number().int().min(1).default(10).describe('Without waiting for p99 readings, the new color is also judged on its requests as they complete: its median over the window, once the window has this many completed requests (default 10) ...'),
      minSpan: durationField('... and covers at least this much time since the switch (default 1s), so a pause of the machine shorter than half of it cannot move the median. The median must be above the old color\'s p99 by `minIncrease` and `minRatio`, or above its median by `minMedianIncrease` and `minMedianRatio`, and the Mann-Whitney test must agree.', DURATION_LIMITS.span).default('1s'),
      minIncrease: durationField('The p99 must be at least this much above the old color\'s (default 100ms) ...').default('100ms'),
      minRatio: z.number().min(1).default(2).describe('... and at least this many times it (default 2).'),
      minMedianIncrease: durationField('The median judged on requests as they complete is also slow once this much above the old color\'s median (default 200ms) ...').default('200ms'),
      minMedianRatio: z.number().min(1).default(2).describe('... and at least this many times it (default 2). Load on the machine inflates the old color\'s p99 far more than its median, so this floor still catches a release that answers much more slowly than the one it replaces when the old p99 is hundreds of ms.'),
    }).strict().prefault({}),
    stuckRequests: z.object({
      enabled: enabled('requests in flight far longer than the old color\'s p99'),
      factor: z.number().min(1).default(10).describe('A request is stuck once in flight for this many times the old color\'s median before the switch (default 10; the median, since load inflates the p99 far more) ...'),
      minAge: durationField('... twice its p99, twice the longest request it was seen to have in flight (so an app\'s own rare slow paths are not stuck), and at least this long (default 1s). When the old color had requests in flight for max(minAge, factor x its p99), as streams and long polls do, this signal is left to the others.').default('1s'),
      minInFlight: z.number().int().min(1).default(2).describe('Requests in flight needed, the oldest of them stuck (default 2).'),
    }).strict().prefault({}),
  }).strict().prefault({}),
}).strict().describe('The bake window\'s builtin signals, on with nothing configured; `analysis` adds to them.');

export interface GuardrailSettings {
  readonly replicaEvents: boolean;
  readonly readyCount: { readonly enabled: boolean; readonly readings: number };
  readonly mainListener: boolean;
  readonly traffic: {
    readonly enabled: boolean;
    readonly intervalMs: number;
    readonly windowMs: number;
    readonly minRequests: number;
    readonly errorRate: { readonly enabled: boolean; readonly minIncrease: number; readonly minErrors: number };
    readonly upstreamErrors: { readonly enabled: boolean; readonly minIncrease: number; readonly minErrors: number };
    readonly latency: {
      readonly enabled: boolean; readonly minSamples: number; readonly minRequestsPerReading: number;
      readonly minRequests: number; readonly minSpanMs: number; readonly minIncreaseMs: number; readonly minRatio: number;
      readonly minMedianIncreaseMs: number; readonly minMedianRatio: number;
    };
    readonly stuckRequests: { readonly enabled: boolean; readonly factor: number; readonly minAgeMs: number; readonly minInFlight: number };
  };
}

/**
 * Validates and resolves the raw `guardrails:` section; absent means every default.
 * @throws CutoverError('config') naming the field path.
 */
export function resolveGuardrails(raw: unknown): GuardrailSettings {
  const parsed = guardrailsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['guardrails', ...issue.path].join('.');
    throw new CutoverError('config', `${path}: ${issue.message}`, { details: { path } });
  }
  const g = parsed.data;
  const t = g.traffic;
  return {
    replicaEvents: g.replicaEvents,
    readyCount: g.readyCount,
    mainListener: g.mainListener,
    traffic: {
      enabled: t.enabled,
      intervalMs: parseDuration(t.interval),
      windowMs: parseDuration(t.window),
      minRequests: t.minRequests,
      errorRate: t.errorRate,
      upstreamErrors: t.upstreamErrors,
      latency: { enabled: t.latency.enabled, minSamples: t.latency.minSamples, minRequestsPerReading: t.latency.minRequestsPerReading,
        minRequests: t.latency.minRequests, minSpanMs: parseDuration(t.latency.minSpan), minIncreaseMs: parseDuration(t.latency.minIncrease), minRatio: t.latency.minRatio,
        minMedianIncreaseMs: parseDuration(t.latency.minMedianIncrease), minMedianRatio: t.latency.minMedianRatio },
      stuckRequests: { enabled: t.stuckRequests.enabled, factor: t.stuckRequests.factor, minAgeMs: parseDuration(t.stuckRequests.minAge), minInFlight: t.stuckRequests.minInFlight },
    },
  };
}

/** Every default, for callers (tests, the demo) that build settings without a config file. */
export const DEFAULT_GUARDRAILS: GuardrailSettings = resolveGuardrails(undefined);
