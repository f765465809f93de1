const PHRASES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed before a complete answer',
  UND_ERR_CLOSED: 'connection closed before a complete answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  HPE_INVALID_CONSTANT: 'answer is not HTTP',
  UND_ERR_INFO: 'answer is not valid HTTP',
};

/** Turns a socket or undici error into the few words a failure line needs, e.g. `connection refused`. */
export function describeNetworkError(err: unknown): string {
  let current: unknown = err;
  // undici wraps the socket error as `cause`; the innermost code is the telling one.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code !== undefined && PHRASES[code] !== undefined) return PHRASES[code];
    current = current.cause;
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${err.message} (${code})`;
  }
  return String(err);
}
