import { formatDuration } from '../../config/duration.ts';
import type { Clock } from '../../core/deps.ts';

/** How long one API call may take, and how often a call that failed fast is tried again. */
export interface ApiCallPolicy {
  /** One attempt's limit; a server that accepts and never answers is reported after this. */
  timeoutMs: number;
  /** Further attempts after a connection that was refused or reset, or a 429/502/503/504. */
  retries: number;
  /** Wait before retry n (1-based) is `backoffMs * n`. */
  backoffMs: number;
  /** What the wait before a retry runs on (default real time); an attempt's deadline is always real time. */
  clock?: Clock;
}

export const DEFAULT_API_CALL_POLICY: ApiCallPolicy = { timeoutMs: 5_000, retries: 2, backoffMs: 250 };

/** Answers worth asking again: the server is overloaded or a proxy in front of it is. */
export const RETRY_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Failures that came back fast and leave nothing half-done. */
export const RETRY_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The API server did not answer one call within the policy's timeout. */
export class ApiTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** The error one attempt ends with when the API server does not answer within `timeoutMs`. */
export function apiTimeout(timeoutMs: number): ApiTimeoutError {
  return new ApiTimeoutError(`the API server did not answer within ${formatDuration(timeoutMs)} (platform.apiTimeout)`);
}

/** The error code of a failed attempt (Node's `code`, or `errno` where only that is set). */
export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errno?: unknown } | null;
  const code = e?.code ?? e?.errno;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failed attempt may be tried again: it failed fast, and not by our own deadline. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiTimeoutError) return false;
  const code = errorCode(err);
  return code !== undefined && RETRY_CODES.has(code);
}
