import { CutoverError } from '../../core/errors.ts';

/**
 * An answer of the API server that was not a success: client-node's ApiException, or the same
 * shape from the read-only REST path (read-api.ts), so either is understood without loading the
 * client (an import of 900 modules) just to test `instanceof`.
 */
interface ApiAnswerError extends Error {
  code: number;
  body: unknown;
}

function isApiAnswer(err: unknown): err is ApiAnswerError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err;
}

/** The HTTP status of an API error, or undefined for network failures and bugs. */
export function httpStatus(err: unknown): number | undefined {
  return isApiAnswer(err) ? err.code : undefined;
}

export const isNotFound = (err: unknown) => httpStatus(err) === 404;
export const isConflict = (err: unknown) => httpStatus(err) === 409;

/** The API server's own message (`deployments.apps "x" not found`) rather than the client's dump. */
export function apiMessage(err: unknown): string {
  if (isApiAnswer(err)) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Turns a failed API call into a CutoverError that says what cutover was doing. 404 becomes
 * 'not-found', 401/403 'config' (the kubeconfig lacks rights), anything without an HTTP
 * status 'unreachable'. CutoverErrors pass through unchanged.
 */
export function kubeError(err: unknown, doing: string): CutoverError {
  if (err instanceof CutoverError) return err;
  const status = httpStatus(err);
  const message = `${doing}: ${apiMessage(err)}`;
  if (status === undefined) return new CutoverError('unreachable', message, { cause: err });
  if (status === 404) return new CutoverError('not-found', message, { cause: err, details: { status } });
  if (status === 401 || status === 403) {
    return new CutoverError('config', `${message} (the kubeconfig's user lacks this right)`, { cause: err, details: { status } });
  }
  return new CutoverError('operation-failed', message, { cause: err, details: { status } });
}

/** Runs `call`, converting failures with kubeError. */
export async function kube<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubeError(err, doing);
  }
}

/** Like kube(), but a 404 resolves to undefined. */
export async function kubeOptional<T>(doing: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw kubeError(err, doing);
  }
}
