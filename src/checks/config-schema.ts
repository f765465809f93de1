import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { parseDurationOr } from '../config/duration.ts';
import { DURATION_LIMITS, durationField, jsonPathField } from '../config/fields.ts';
import type { CheckSpec, HealthPolicy, SmokeSpec } from './types.ts';


const HTTP_ONLY_KEYS = ['expectStatus', 'json', 'maxLatency', 'headers', 'method'] as const;
const KIND_KEYS = ['http', 'tcp', 'command'] as const;

/**
 * One health check. Exactly one of `http`, `tcp` or `command` says what kind it is.
 * A flat strict object (rather than a union) so that a typo or a wrong type is reported
 * at its own field path instead of as "no union member matched".
 */
export const healthCheckSchema = z.object({
  http: z.string()
    .regex(/^\//, 'expected a path starting with /, e.g. /health/ready')
    .optional()
    .describe('HTTP check: path requested on every replica, e.g. /health/ready'),
  tcp: z.union([z.literal(true), z.number().int().min(1).max(65535)])
    .optional()
    .describe("TCP check: true opens a connection to the replica's own port; a number, to that port on the replica's host"),
  command: z.array(z.string().min(1)).min(1)
    .optional()
    .describe('Command check: argv run without a shell, once per replica, with CUTOVER_TARGET_URL and CUTOVER_COLOR set; exit 0 means healthy'),
  method: z.enum(['GET', 'HEAD']).optional().describe('HTTP method (default GET)'),
  expectStatus: z.number().int().min(100).max(599).optional()
    .describe('Status the answer must have (default: any 2xx)'),
  json: jsonPathField("Key or path (data.checks, items[0], checks['db pool']) of a list or map of sub-checks in the JSON body; every entry must report healthy")
    .refine((path) => path.trim() !== '', 'expected a key or path such as checks or data.checks')
    .optional(),
  maxLatency: durationField('A complete answer slower than this fails the check (default 2s)').optional(),
  timeout: durationField('Give up on one attempt after this long (default 5s; 10s for commands)').optional(),
  headers: z.record(z.string(), z.string()).optional().describe('Extra request headers, e.g. Host'),
}).strict()
  .superRefine((check, ctx) => {
    const kinds = KIND_KEYS.filter((key) => check[key] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0
          ? 'a check needs one of http, tcp or command'
          : `a check has exactly one of http, tcp or command (found ${kinds.join(' and ')})`,
      });
      return;
    }
    if (check.http === undefined) {
      for (const key of HTTP_ONLY_KEYS) {
        if (check[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies only to http checks` });
        }
      }
    }
    if (check.method === 'HEAD' && check.json !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['json'], message: 'json needs a response body; use method GET' });
    }
  })
  .meta({ oneOf: KIND_KEYS.map((key) => ({ required: [key] })) })
  .describe('One health check: http, tcp or command');

export const healthSchema = z.object({
  checks: z.array(healthCheckSchema).min(1).describe('Checks run against every replica in each round'),
  interval: durationField('Time between the starts of two rounds (default 1s)', DURATION_LIMITS.interval).optional(),
  successes: z.number().int().min(1).max(100).optional()
    .describe('Consecutive rounds in which every check passes on every replica (default 3)'),
  timeout: durationField('Give up when that many rounds have not passed within this time (default 60s)').optional(),
  stableFor: durationField('After the required successes, verify keeps probing this long, and no replica may exit or restart from provision to the switch, '
    + 'like Kubernetes\' minReadySeconds (default 5s: most releases that die after start do so within a few seconds, from a failed connection or missing config; 0s turns it off)', DURATION_LIMITS.optionalWait).optional(),
}).strict().describe('Health checks run before traffic moves (and during monitoring)');

export const smokeCommandSchema = z.object({
  run: z.union([
    z.string().min(1),
    z.array(z.string().min(1)).min(1),
  ]).describe('A string runs through /bin/sh -c in the config directory; a list is argv run without a shell. '
    + 'Gets CUTOVER_TARGET_URL (the preview address) and CUTOVER_VERSION; ${version} is not substituted into shell strings'),
  timeout: durationField('Kill the command and everything it started after this long (default 5m)').optional(),
}).strict();

export const smokeSchema = z.array(smokeCommandSchema)
  .describe('Smoke commands run against the new color through its preview address; each must exit 0');

export type HealthInput = z.input<typeof healthSchema>;
export type SmokeInput = z.input<typeof smokeSchema>;

const DEFAULTS = {
  intervalMs: 1_000,
  successes: 3,
  timeoutMs: 60_000,
  maxLatencyMs: 2_000,
  attemptMs: 5_000,
  commandMs: 10_000,
  smokeMs: 5 * 60_000,
} as const;

/** Resolves argv[0] against `baseDir` when it is a relative path (bare names stay for PATH lookup). */
function resolveProgram(argv: readonly string[], baseDir: string): string[] {
  const [program, ...args] = argv;
  const resolved = program.includes('/') && !isAbsolute(program) ? resolve(baseDir, program) : program;
  return [resolved, ...args];
}

function normalizeCheck(check: HealthInput['checks'][number], baseDir: string): CheckSpec {
  if (check.http !== undefined) {
    const method = check.method ?? 'GET';
    const maxLatencyMs = parseDurationOr(check.maxLatency, DEFAULTS.maxLatencyMs);
    return Object.freeze({
      kind: 'http',
      name: `${method} ${check.http}`,
      path: check.http,
      method,
      expectStatus: check.expectStatus ?? null,
      json: check.json ?? null,
      maxLatencyMs,
      // Waiting past maxLatency lets the report say how slow the answer was.
      timeoutMs: parseDurationOr(check.timeout, Math.max(DEFAULTS.attemptMs, maxLatencyMs)),
      headers: Object.freeze({ ...check.headers }),
    });
  }
  if (check.tcp !== undefined) {
    const port = check.tcp === true ? null : check.tcp;
    return Object.freeze({
      kind: 'tcp',
      name: port === null ? 'TCP connect' : `TCP :${port}`,
      port,
      timeoutMs: parseDurationOr(check.timeout, DEFAULTS.attemptMs),
    });
  }
  if (check.command !== undefined) {
    return Object.freeze({
      kind: 'command',
      name: `command ${check.command.join(' ')}`,
      argv: Object.freeze(resolveProgram(check.command, baseDir)),
      cwd: baseDir,
      timeoutMs: parseDurationOr(check.timeout, DEFAULTS.commandMs),
    });
  }
  throw new Error('health check without http, tcp or command reached normalizeHealth (schema not applied?)');
}

/**
 * Turns a parsed `health:` section into a read-only policy in milliseconds.
 * With no section at all, the policy is one TCP check on each replica's port.
 * Pure; throws CutoverError('config') only for a malformed duration (which the schema rejects first).
 */
/** See `health.stableFor`. */
export const DEFAULT_STABLE_FOR_MS = 5_000;

export function normalizeHealth(input: HealthInput | undefined, options: { baseDir: string }): HealthPolicy {
  const checks = input?.checks.map((check) => normalizeCheck(check, options.baseDir))
    ?? [normalizeCheck({ tcp: true }, options.baseDir)];
  return Object.freeze({
    checks: Object.freeze(checks),
    intervalMs: parseDurationOr(input?.interval, DEFAULTS.intervalMs),
    successes: input?.successes ?? DEFAULTS.successes,
    timeoutMs: parseDurationOr(input?.timeout, DEFAULTS.timeoutMs),
    stableForMs: parseDurationOr(input?.stableFor, DEFAULT_STABLE_FOR_MS),
  });
}

/**
 * Turns a parsed `smoke:` section into read-only specs in milliseconds. Shell strings are kept
 * verbatim: nothing is substituted into them. Pure.
 */
export function normalizeSmoke(input: SmokeInput | undefined, options: { baseDir: string }): SmokeSpec[] {
  return (input ?? []).map((entry) => {
    const shell = typeof entry.run === 'string';
    return Object.freeze({
      command: typeof entry.run === 'string' ? entry.run : entry.run.join(' '),
      shell,
      argv: Object.freeze(typeof entry.run === 'string' ? [] : resolveProgram(entry.run, options.baseDir)),
      cwd: options.baseDir,
      timeoutMs: parseDurationOr(entry.timeout, DEFAULTS.smokeMs),
    });
  });
}
