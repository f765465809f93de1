/**
 * The narrow slice of a PostgreSQL client the migration runner uses, so the same runner
 * drives a real server (`pg`) and the embedded default (PGlite).
 */
export interface SqlSession {
  /**
   * Runs one statement and returns its rows. Without `params` the statement goes through
   * the simple query protocol, exactly as written in the migration file.
   * @throws the driver's error (with `code`, the SQLSTATE) when the server rejects it.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Ends the session, releasing its session-level locks. Idempotent. */
  close(): Promise<void>;
}

export interface MigrationDatabase {
  readonly kind: 'postgres' | 'embedded';
  /** Where it points, without credentials, for messages. */
  readonly description: string;
  /**
   * Opens a session of its own; advisory locks belong to a session, so the runner keeps one
   * session for the whole run.
   * @throws CutoverError('unreachable') when the database cannot be reached.
   */
  openSession(): Promise<SqlSession>;
  /** Releases everything the database object holds. Idempotent. */
  close(): Promise<void>;
}

/** The fields of a server error the runner reports. */
export interface ServerError {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
}

export function asServerError(err: unknown): ServerError {
  const e = err as Partial<ServerError> & { message?: string };
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: typeof e?.message === 'string' ? e.message : String(err),
    detail: e?.detail || undefined,
    hint: e?.hint || undefined,
    position: e?.position || undefined,
  };
}

/** `postgres://user@host:port/db` with the password removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
