import * as z from 'zod';
import { formatDuration, isDuration, parseDuration } from './duration.ts';
import { jsonPathProblem } from './json-path.ts';
import { CutoverError } from '../core/errors.ts';

/**
 * The longest delay a Node timer can wait: setTimeout clamps anything above 2^31-1 ms to 1 ms,
 * so `drainTimeout: 999999h` would fire at once. Every duration that becomes a timer stays below.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Probing or reading more often than this only loads the app being checked. */
export const MIN_INTERVAL_MS = 100;

/**
 * What a duration field accepts. The defaults fit a timeout: more than 0 and at most
 * {@link MAX_TIMER_MS}. These limits live here only; schemas pick a preset or override one bound.
 */
export interface DurationLimits {
  /** Smallest accepted value in ms (default 1: a zero timeout fails everything at once). */
  readonly minMs?: number;
  /** Largest accepted value in ms; `null` for a duration that never becomes a timer (default {@link MAX_TIMER_MS}). */
  readonly maxMs?: number | null;
  /** Accept 0 (also the YAML number 0) as "none" or "at once", whatever `minMs` says. */
  readonly zero?: boolean;
}

/** Presets, so that every field of one kind has the same limits. */
export const DURATION_LIMITS = {
  /** A timeout or deadline: above 0, below the timer limit. */
  timeout: {},
  /** Time between probes or readings: a 0 here busy-loops against the app. */
  interval: { minMs: MIN_INTERVAL_MS },
  /** A wait where 0 means "none" or "at once" (a delay, lock_timeout 0). */
  optionalWait: { minMs: 1, zero: true },
  /** A span of data looked at, never slept on (a Prometheus range): no timer limit. */
  span: { maxMs: null },
} as const satisfies Record<string, DurationLimits>;

const DURATION_EXAMPLE = 'such as 500ms, 30s or 5m';

/** Why `text` is not an acceptable duration under `limits`, or undefined when it is. */
export function durationProblem(text: string, limits: DurationLimits = {}): string | undefined {
  if (!isDuration(text)) return `expected a duration ${DURATION_EXAMPLE}`;
  const ms = parseDuration(text);
  if (ms === 0 && limits.zero) return undefined;
  const minMs = limits.minMs ?? 1;
  const maxMs = limits.maxMs === undefined ? MAX_TIMER_MS : limits.maxMs ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(ms) || ms > maxMs) {
    return maxMs === MAX_TIMER_MS
      ? 'at most 596h (the longest timer Node can set, about 24.8 days)'
      : `at most ${formatDuration(maxMs)}`;
  }
  if (ms < minMs) return `at least ${formatDuration(minMs)}${limits.zero ? ', or 0' : ''}`;
  return undefined;
}

/**
 * A duration written the way people do: `250ms`, `30s`, `5m`, `1h`, checked against `limits`
 * (see {@link DURATION_LIMITS}) so that a value cutover cannot honour is refused at its field path.
 */
export function durationField<L extends DurationLimits = typeof DURATION_LIMITS.timeout>(description: string, limits?: L): DurationSchema<L>;
export function durationField(description: string, limits: DurationLimits = DURATION_LIMITS.timeout): z.ZodType {
  const text = z.string({ error: `expected a duration with a unit ${DURATION_EXAMPLE}` })
    .superRefine((value, ctx) => {
      const problem = durationProblem(value, limits);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
  // YAML reads `0` as a number; where 0 means "none" the number is accepted too.
  return (limits.zero ? z.union([z.literal(0), text], { error: `expected a duration with a unit ${DURATION_EXAMPLE}, or 0` }) : text).describe(description);
}

/** A duration field's schema: a string, or a string or 0 where 0 is allowed. */
export type DurationSchema<L extends DurationLimits> = L extends { readonly zero: true } ? z.ZodUnion<readonly [z.ZodLiteral<0>, z.ZodString]> : z.ZodString;

/** A path into a JSON body in cutover's one syntax (see json-path.ts), refused at its field when it does not parse. */
export const jsonPathField = (description: string) =>
  z.string()
    .superRefine((path, ctx) => {
      const problem = jsonPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description);

const HOST_PORT = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+))?:(\d{1,5})$/;

/** `127.0.0.1:8080`, `[::1]:8080` or `:8080` (loopback). Port 0 picks a free port. */
export const hostPortField = (description: string) =>
  z.string({ error: 'expected host:port, e.g. 127.0.0.1:8080' })
    .superRefine((value, ctx) => {
      const match = HOST_PORT.exec(value);
      if (!match) ctx.addIssue({ code: 'custom', message: 'expected host:port, e.g. 127.0.0.1:8080' });
      else if (Number(match[2]) > 65535) ctx.addIssue({ code: 'custom', message: `port ${Number(match[2])} is above 65535` });
    })
    .describe(description);

export function parseHostPort(text: string): { host: string; port: number } {
  const match = HOST_PORT.exec(text);
  if (!match) throw new CutoverError('config', `"${text}" is not host:port`);
  const port = Number(match[2]);
  if (port > 65535) throw new CutoverError('config', `port ${port} in "${text}" is above 65535`);
  const host = (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  return { host, port };
}

/**
 * Versions end up in argv, paths (`releases/${version}`), labels and image tags, so they are
 * restricted to characters that are safe in all of those: no slashes, no `..`, no spaces.
 */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;

export function assertVersion(version: string): void {
  if (!VERSION_PATTERN.test(version) || version.includes('..')) {
    throw new CutoverError('usage', `"${version}" is not a valid version: use letters, digits, ".", "_", "+" or "-" (at most 63, starting with a letter or digit)`);
  }
}

const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|K|M|G|B|KB|KiB|MB|MiB|GB|GiB)?$/;
const BYTE_UNITS: Record<string, number> = {
  '': 1, B: 1, K: 1e3, KB: 1e3, M: 1e6, MB: 1e6, G: 1e9, GB: 1e9,
  Ki: 1024, KiB: 1024, Mi: 1024 ** 2, MiB: 1024 ** 2, Gi: 1024 ** 3, GiB: 1024 ** 3,
};

/**
 * A size written as Kubernetes resource quantities are (`512Mi`, `1Gi`, `300M`), so one
 * spelling works on both platforms; the byte-unit spellings (`10MB`, `512KiB`) are accepted too.
 * A dozen suffixes do not justify a quantity-parsing dependency.
 */
export const byteSizeField = (description: string, minBytes = 1) =>
  z.string()
    .regex(BYTE_SIZE, { message: 'expected a size such as 512Mi, 1Gi, 300M or 10MB' })
    .refine((text) => parseByteSize(text) >= minBytes, { message: `expected a size of at least ${minBytes} bytes` })
    .describe(description);

export function parseByteSize(text: string): number {
  const match = BYTE_SIZE.exec(text.trim());
  if (!match) throw new CutoverError('config', `"${text}" is not a size such as 512Mi`);
  return Math.round(Number(match[1]) * BYTE_UNITS[match[2] ?? '']!);
}
