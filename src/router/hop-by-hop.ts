/**
 * Header rewriting between one hop and the next (RFC 9110 §7.6.1): headers that describe a
 * single connection are dropped, and the X-Forwarded-* headers are set. Both directions work
 * on node's flat `[name, value, name, value]` arrays so no header object is built per request.
 */
import { PROBE_HEADER } from './probe-token.ts';

/** What the proxy needs to know about an incoming request head after rewriting it. */
export interface UpstreamRequestHead {
  /** Flat `[name, value, ...]` list to send upstream. */
  headers: string[];
  /** True when the client announced a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /**
   * The value of `x-cutover-probe`, or null without one. The header itself is never sent on:
   * whether it is cutover's own probe (probe-token.ts) is for the router to tell, not the app.
   */
  probe: string | null;
}

/**
 * False for a header name (first character code and length) that this module never treats
 * specially, so that the common case skips lower-casing (an allocation for `Host`,
 * `Content-Type` ...). Covers every name in `isHopByHop` and in upstreamRequestHead's switch.
 */
export function mayBeSpecial(first: number, length: number): boolean {
  switch (first | 0x20) {
    case 0x63: return length === 10 || length === 14; // connection, content-length
    case 0x6b: return length === 10; // keep-alive
    case 0x74: return length === 2 || length === 7 || length === 17; // te, trailer, transfer-encoding
    case 0x75: return length === 7; // upgrade
    case 0x70: return length >= 6; // proxy-*
    case 0x78: return length >= 9 && length <= 17; // x-forwarded-*, x-real-ip, x-cutover-probe
    case 0x66: return length === 9; // forwarded
    case 0x65: return length === 6; // expect
    case 0x68: return length === 4; // host
    default: return false;
  }
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

/** RFC 7239 node: IPv6 addresses are bracketed and quoted. */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

/** RFC 7239 value: a token, or a quoted string when it holds other characters. */
function forwardedValue(value: string): string {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The router's own `Forwarded` element. The last one is remembered: a keep-alive connection
 * sends the same client and Host again and again, and this spares the regular expression and
 * the string building per request.
 */
let lastHop = { client: '', host: undefined as string | undefined, value: '' };
function forwardedHop(client: string, host: string | undefined): string {
  if (lastHop.client === client && lastHop.host === host && lastHop.value !== '') return lastHop.value;
  const value = `for=${forwardedNode(client)}${host !== undefined ? `;host=${forwardedValue(host)}` : ''};proto=http`;
  lastHop = { client, host, value };
  return value;
}

/** How to rewrite one request head; every field is optional. */
export interface UpstreamHeadOptions {
  /**
   * The peer is a proxy we trust (router.trustedProxies): its X-Forwarded-*, Forwarded and
   * X-Real-IP are kept and extended. Otherwise a client could claim any address or scheme,
   * so they are replaced with what the router itself sees.
   */
  trustedPeer?: boolean;
  /** Host to send when the request has none (HTTP/1.0): the listener's own address. */
  defaultHost?: string;
  /** Host that replaces the request's (an absolute-form target names it, RFC 9112 §3.2.2). */
  hostOverride?: string;
  /**
   * The peer is cutover's own edge (HAProxy relaying a long-lived request to the daemon, see
   * haproxy/long-lived-relay.ts), which already wrote the forwarded headers for the client:
   * they are sent on as they came, with no hop added for the peer.
   */
  forwardedAsSent?: boolean;
}

/** Names a `Connection` header can never make hop-by-hop: the request is unroutable without them. */
const PROTECTED_FROM_CONNECTION = new Set(['host', 'content-length']);

/**
 * Rewrites a client's request head for the upstream.
 * - hop-by-hop headers, and any header the client's `Connection` names (except Host), are
 *   dropped; with `keepUpgrade` the `Connection: Upgrade` / `Upgrade` pair survives (WebSocket).
 * - `Expect` is dropped: node's server already answered `100 Continue` to the client, and
 *   undici refuses to send the header on.
 * - `x-cutover-probe` is dropped, whatever its value; the first one is returned as `probe`.
 * - Forwarded headers: from an untrusted peer (the default) `X-Forwarded-For`, `X-Real-IP`
 *   and `Forwarded` name only the peer, and `X-Forwarded-Proto`/`-Host` are the router's own;
 *   from a trusted proxy the chain is appended to and its proto/host/real IP are kept.
 * `Host` is kept, so the app sees the name the client used.
 */
export function upstreamRequestHead(
  raw: readonly string[],
  remoteAddress: string | undefined,
  keepUpgrade: boolean,
  options: UpstreamHeadOptions = {},
): UpstreamRequestHead {
  const trusted = options.trustedPeer === true || options.forwardedAsSent === true;
  let headers: string[] = [];
  let forwardedFor: string | undefined;
  let forwarded: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let realIp: string | undefined;
  let host: string | undefined;
  let upgrade: string | undefined;
  let named: string[] | null = null;
  let hasBody = false;
  let probe: string | null = null;

  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (!mayBeSpecial(name.charCodeAt(0), name.length)) {
      headers.push(name, value);
      continue;
    }
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
        if (trusted) forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'forwarded':
        if (trusted) forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (trusted && forwardedProto === undefined) forwardedProto = value;
        continue;
      case 'x-forwarded-host':
        if (trusted && forwardedHost === undefined) forwardedHost = value;
        continue;
      case 'x-real-ip':
        if (trusted && realIp === undefined) realIp = value;
        continue;
      case 'expect':
        continue;
      case PROBE_HEADER:
        probe ??= value;
        continue;
      case 'host':
        if (options.hostOverride !== undefined) continue;
        host = value;
        break;
      case 'content-length':
        if (value !== '0') hasBody = true;
        break;
    }
    headers.push(name, value);
  }

  if (named !== null) {
    const strip = named.filter((n) => !PROTECTED_FROM_CONNECTION.has(n));
    if (strip.length) headers = stripNamed(headers, strip);
  }
  if (options.hostOverride !== undefined) {
    host = options.hostOverride;
    headers.unshift('host', host);
  } else if (host === undefined && options.defaultHost !== undefined) {
    host = options.defaultHost;
    headers.unshift('host', host);
  }
  if (options.forwardedAsSent === true) {
    if (forwardedFor !== undefined) headers.push('x-forwarded-for', forwardedFor);
    if (forwardedProto !== undefined) headers.push('x-forwarded-proto', forwardedProto);
    if (forwardedHost !== undefined) headers.push('x-forwarded-host', forwardedHost);
    if (realIp !== undefined) headers.push('x-real-ip', realIp);
    if (forwarded !== undefined) headers.push('forwarded', forwarded);
    if (keepUpgrade && upgrade !== undefined) headers.push('connection', 'Upgrade', 'upgrade', upgrade);
    return { headers, hasBody, probe };
  }
  const client = clientAddress(remoteAddress);
  const hop = forwardedHop(client, host);
  headers.push(
    'x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`,
    'x-forwarded-proto', forwardedProto ?? 'http',
  );
  const publicHost = forwardedHost ?? host;
  if (publicHost !== undefined) headers.push('x-forwarded-host', publicHost);
  headers.push('x-real-ip', realIp ?? client, 'forwarded', forwarded === undefined ? hop : `${forwarded}, ${hop}`);
  if (keepUpgrade && upgrade !== undefined) headers.push('connection', 'Upgrade', 'upgrade', upgrade);
  return { headers, hasBody, probe };
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
    const buffer = raw[i]!;
    const name = buffer.toString('latin1');
    if (!mayBeSpecial(buffer[0]!, buffer.length)) {
      headers.push(name, raw[i + 1]!.toString('latin1'));
      continue;
    }
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
