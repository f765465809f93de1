import * as z from 'zod';
import { CutoverError } from '../../core/errors.ts';
import type { Color } from '../../core/types.ts';
import type { AdminBody, AdminRoute, EventsQuery } from './admin-protocol.ts';

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

/** `cutover dashboard`: where the dashboard should listen (first start only) and whether the link may steer. */
export const dashboardRequest = z.object({ listen: z.string().min(1).max(300).optional(), readOnly: z.boolean() }).strict();

/** How the daemon validates one route's body: a schema and a name for its errors, or null for none. */
export interface BodySpec<T> {
  what: string;
  schema: z.ZodType<T>;
}

type BodySpecs = { [R in AdminRoute]: AdminBody<R> extends undefined ? null : BodySpec<AdminBody<R>> };

/** Every route's body, checked by the daemon on receipt (admin-protocol.ts has the routes). */
export const REQUEST_BODIES: BodySpecs = {
  'GET /status': null,
  'PUT /colors/:color': { what: 'release spec', schema: releaseSpecRequest },
  'DELETE /colors/:color': null,
  'PUT /colors/:color/flags': { what: 'flags', schema: flagsRequest },
  'POST /switch': { what: 'switch', schema: switchRequest },
  'GET /traffic': null,
  'GET /probe-token': null,
  'PUT /maintenance': { what: 'maintenance', schema: maintenanceRequest },
  'PUT /split': { what: 'split', schema: splitRequest },
  'DELETE /split': null,
  'GET /colors/:color/events': null,
  'GET /metrics': null,
  'GET /counters': null,
  'POST /restart': null,
  'POST /shutdown': null,
  'POST /dashboard': { what: 'dashboard', schema: dashboardRequest },
};

/** Parses the body of `route`, or throws a usage error naming the field. */
export function parseBody<R extends AdminRoute>(route: R, body: unknown): AdminBody<R> {
  const spec = REQUEST_BODIES[route] as BodySpec<AdminBody<R>> | null;
  if (spec) return parseRequest(spec.schema, body, spec.what);
  // A route without a body gets none: a client sending one expects something this route does
  // not do (`POST /shutdown` with `{"force":true}`), and should hear so.
  const empty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!empty) {
    const field = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body)[0]! : '(body)';
    throw new CutoverError('usage', `${route}: ${field}: this route takes no request body`);
  }
  return undefined as AdminBody<R>;
}

const MAX_EVENT_WAIT_MS = 30_000;

/** `?since=&wait=` of the replica events long poll; `wait` is capped (the CLI asks again after it). */
export function parseEventsQuery(query: URLSearchParams): EventsQuery {
  const since = Number(query.get('since') ?? 0);
  const wait = Number(query.get('wait') ?? 0);
  if (!Number.isFinite(since)) throw new CutoverError('usage', `events: since: expected epoch milliseconds, got ${JSON.stringify(query.get('since'))}`);
  if (!Number.isFinite(wait)) throw new CutoverError('usage', `events: wait: expected milliseconds, got ${JSON.stringify(query.get('wait'))}`);
  return { since, wait: Math.min(Math.max(wait, 0), MAX_EVENT_WAIT_MS) };
}

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
