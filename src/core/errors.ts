/**
 * The one error class cutover throws on purpose. `code` decides the exit code at the
 * CLI's top-level catch; anything that is not a CutoverError is an internal error (70).
 */
export type ErrorCode =
  | 'config'            // bad config or usage: exit 2
  | 'usage'             // bad command-line usage: exit 2
  | 'locked'            // another operation holds the lock: exit 3
  | 'operation-failed'  // the operation failed or was rolled back; the old color still serves: exit 1
  | 'refused'           // a safety rule refused the operation (e.g. contract while old release runs): exit 1
  | 'unreachable'       // daemon, API server or database could not be reached: exit 1
  | 'not-found'         // the thing asked for does not exist: exit 1
  | 'damaged'           // a state, history or lock record cannot be read; nothing was changed: exit 1
  | 'internal';         // a bug: exit 70

export class CutoverError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CutoverError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  config: 2,
  usage: 2,
  locked: 3,
  'operation-failed': 1,
  refused: 1,
  unreachable: 1,
  'not-found': 1,
  damaged: 1,
  internal: 70,
};

export function isCutoverError(err: unknown): err is CutoverError {
  return err instanceof CutoverError;
}
