/**
 * Header rewriting between one hop and the next (RFC 9110 §7.6.1): headers that describe a
 * single connection are dropped, and the X-Forwarded-* headers are set. Both directions work
 * on node's flat `[name, value, name, value]` arrays so no header object is built per request.
 */

/** What the proxy needs to know about an incoming request head after rewriting it. */
export interface UpstreamRequestHead {
  /** Flat `[name, value, ...]` list to send upstream. */
  headers: string[];
  /** True when the client announced a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
}

/** True for a lower-cased header name that only concerns one connection. */
export function isHopByHop(lower: string): boolean {
  switch (lower) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return lower.startsWith('proxy-');
  }
}

/**
 * Extra header names a `Connection` header value declares hop-by-hop, lower-cased, or null
 * when it names only the usual `keep-alive`/`close`/`upgrade` tokens (the common case).
 */
export function connectionNamedHeaders(value: string): string[] | null {
  // Nearly every message carries exactly one of these; skip the split for them.
  switch (value) {
    case 'keep-alive': case 'Keep-Alive': case 'close': case 'Close': case 'Upgrade': case 'upgrade':
      return null;
  }
  let named: string[] | null = null;
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token === '' || token === 'keep-alive' || token === 'close' || token === 'upgrade') continue;
    (named ??= []).push(token);
  }
  return named;
}

function stripNamed(headers: string[], named: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!named.includes(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
}

/**
 * Rewrites a client's request head for the upstream.
 * - hop-by-hop headers, and any header the client's `Connection` names, are dropped;
 *   with `keepUpgrade` the `Connection: Upgrade` / `Upgrade` pair survives (WebSocket).
 * - `Expect` is dropped: node's server already answered `100 Continue` to the client, and
 *   undici refuses to send the header on.
 * - `X-Forwarded-For` gets the client's address appended; `X-Forwarded-Proto` and
 *   `X-Forwarded-Host` are replaced (this listener speaks plain HTTP).
 * `Host` is kept, so the app sees the name the client used.
 */
export function upstreamRequestHead(
  raw: readonly string[],
  remoteAddress: string | undefined,
  keepUpgrade: boolean,
): UpstreamRequestHead {
  let headers: string[] = [];
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let upgrade: string | undefined;
  let named: string[] | null = null;
  let hasBody = false;

  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'transfer-encoding') hasBody = true;
      else if (lower === 'connection') {
        const extra = connectionNamedHeaders(value);
        if (extra !== null) named = named === null ? extra : named.concat(extra);
      } else if (lower === 'upgrade') upgrade = value;
      continue;
    }
    switch (lower) {
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'expect':
        continue;
      case 'host':
        host = value;
        break;
      case 'content-length':
        if (value !== '0') hasBody = true;
        break;
    }
    headers.push(name, value);
  }

  if (named !== null) headers = stripNamed(headers, named);
  const client = clientAddress(remoteAddress);
  headers.push(
    'x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`,
    'x-forwarded-proto', 'http',
  );
  if (host !== undefined) headers.push('x-forwarded-host', host);
  if (keepUpgrade && upgrade !== undefined) headers.push('connection', 'Upgrade', 'upgrade', upgrade);
  return { headers, hasBody };
}

/**
 * Turns an upstream response's raw header buffers into the flat string list node's
 * `writeHead` accepts, dropping hop-by-hop headers. Node adds its own Connection,
 * Keep-Alive and Transfer-Encoding for the client's connection.
 */
export function downstreamResponseHeaders(raw: readonly Buffer[]): string[] {
  let headers: string[] = [];
  let named: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'connection') {
        const extra = connectionNamedHeaders(raw[i + 1]!.toString('latin1'));
        if (extra !== null) named = named === null ? extra : named.concat(extra);
      }
      continue;
    }
    headers.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (named !== null) headers = stripNamed(headers, named);
  return headers;
}
