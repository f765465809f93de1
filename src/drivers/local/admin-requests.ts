import * as z from 'zod';
import { CutoverError } from '../../core/errors.ts';
import type { Color } from '../../core/types.ts';

/**
 * Schemas for what the admin API accepts. The socket is owner-only, but a daemon that trusts
 * its input is one bad client (or a hand-written curl) away from taking the router down with it.
 */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

export const releaseSpecRequest = z.object({
  version: z.string().min(1).max(256),
  command: z.array(z.string().min(1)).min(1).max(256),
  cwd: z.string().min(1),
  env: z.record(envName, z.string()),
  replicas: z.number().int().min(1).max(64),
  flags: z.record(z.string(), z.unknown()),
  restart: z.object({
    backoffMs: z.number().int().min(0).max(2_147_483_647),
    maxBackoffMs: z.number().int().min(0).max(2_147_483_647),
    crashLoopRestarts: z.number().int().min(1),
    windowMs: z.number().int().min(1).max(2_147_483_647),
  }).strict(),
  stopTimeoutMs: z.number().int().min(0).max(2_147_483_647),
  memoryLimitBytes: z.number().int().min(1).optional(),
}).strict();

export const flagsRequest = z.object({ flags: z.record(z.string(), z.unknown()), rolling: z.boolean() }).strict();
export const switchRequest = z.object({ to: z.enum(['blue', 'green']) }).strict();
export const maintenanceRequest = z.object({ on: z.boolean(), message: z.string().max(10_000).optional() }).strict();

const cohortMatch = z.object({ name: z.string().min(1), values: z.array(z.string()).min(1) }).strict();
export const splitRequest = z.object({
  weights: z.object({ blue: z.number().finite().min(0).optional(), green: z.number().finite().min(0).optional() }).strict(),
  stickyCookie: z.string().min(1).optional(),
  stickyHeader: z.string().min(1).optional(),
  cohort: z.object({ header: cohortMatch.optional(), cookie: cohortMatch.optional() }).strict().optional(),
}).strict();

/** Parses an admin request body, or throws a usage error naming the field. */
export function parseRequest<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(body)';
  throw new CutoverError('usage', `${what}: ${field}: ${issue.message}`, { details: { issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })) } });
}

export function parseColor(value: string | undefined): Color {
  if (value !== 'blue' && value !== 'green') throw new CutoverError('usage', `unknown color ${JSON.stringify(value)} (expected blue or green)`);
  return value;
}
