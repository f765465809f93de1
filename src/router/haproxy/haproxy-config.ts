import type { Color } from '../../core/types.ts';
import { COLORS } from '../../core/types.ts';
import { CutoverError } from '../../core/errors.ts';
import { isProbeToken, PROBE_HEADER, SERVED_BY_HEADER } from '../probe-token.ts';
import { splitFrontendRules, type SplitNames } from './split-rules.ts';
import { PAUSE_ACTION } from './pause-hold.ts';
import { drainCutRules } from './drain-cut.ts';
import { JOIN_LINES_ACTION } from './join-header-lines.ts';
import { RELAY_HEADER } from './long-lived-relay.ts';

/** Server slots per backend: HAProxy cannot add servers to a backend without a reload in 2.6 without `add server`, and slots keep names stable across reloads. */
export const SERVER_SLOTS = 80;

/** What the generated config needs: listeners, limits, and the replicas each color has now (so a reload serves at once). */
export interface HaproxyConfigInput {
  dir: string;
  mapFile: string;
  runtimeSocket: string;
  main: { host: string; port: number };
  preview?: { host: string; port: number };
  drainTimeoutMs: number;
  /** Time an upstream may take to send response headers; 0 turns it off. */
  upstreamHeadersTimeoutMs: number;
  trustedProxies: readonly string[];
  maxRequestBodyBytes?: number;
  maxConnections?: number;
  /** TCP port on 127.0.0.1 receiving one `%b %Ta` line per request (via a log ring), for latency histograms. */
  logPort?: number;
  /** Per color, slot index -> `host:port` (slots not listed are disabled). */
  servers: Record<Color, ReadonlyMap<number, string>>;
  /** The header and cookie names a traffic split reads (the split itself is in the map). */
  split: SplitNames;
  /** The control plane's probe token (probe-token.ts): only a probe carrying it is told the serving color. */
  probeToken: string;
  /** The Lua file (pause-hold.ts) that holds requests while the map says `paused`. */
  pauseLuaFile: string;
  /** The Lua file (drain-cut.ts) that answers 504 to a request cut at its drain's deadline. */
  drainCutLuaFile: string;
  /** The Lua file (join-header-lines.ts) that joins a trusted peer's multi-line forwarded headers. */
  joinLinesLuaFile: string;
  /** The unix socket of the daemon's relay for WebSockets and event streams (long-lived-relay.ts). */
  longLivedRelaySocket: string;
  /** Per listener, the unix socket on which the serving worker takes the requests old workers relay (see relayed()). */
  relaySockets: { main: string; preview: string };
}

function bind(at: { host: string; port: number }): string {
  return at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
}

/** HAProxy's config language takes durations with a unit; milliseconds always work. */
function ms(n: number): string {
  return `${Math.max(1, Math.round(n))}ms`;
}

function backend(name: string, color: Color, input: HaproxyConfigInput): string {
  const lines = [`backend ${name}`];
  if (name.startsWith('main_')) {
    // Requests still running when a drain expires are cut by the daemon, and cutover's contract
    // is a 504 for "the drain timed out". The flag is set only on an old color's main backend,
    // between its drain deadline and its next switch. drainCutRules answer a request whose
    // response has not begun; a cut after an interim (1xx) response, on a first request, is
    // answered 502 by HAProxy, made a 504 here.
    lines.push(`  http-after-response set-status 504 if { status 502 } { str(expired_${color}),map(${input.mapFile},0) -m str 1 }`);
    lines.push(...drainCutRules(color, input.mapFile));
  }
  lines.push(`  http-response set-header ${SERVED_BY_HEADER} ${color} if { var(txn.probe) -m found }`);
  const slots = input.servers[color];
  for (let i = 1; i <= SERVER_SLOTS; i++) {
    const at = slots.get(i);
    lines.push(at ? `  server r${i} ${at}` : `  server r${i} 127.0.0.1:1 disabled`);
  }
  return lines.join('\n');
}

/** The routing-map keys that make a request take more than the plain route to `live`. */
const SPECIAL_KEYS = ['maintenance', 'paused', 'split'] as const;

/**
 * The routing map as HAProxy holds it: `entries` plus `special 1` while maintenance, pause or a
 * split is on. Each request reads that one key first, so the common case (none of them)
 * costs one map lookup instead of one per rule.
 */
export function routingMapLines(entries: Readonly<Record<string, string>>): Array<[string, string]> {
  const lines = Object.entries(entries).filter(([k]) => k !== 'special');
  if (SPECIAL_KEYS.some((k) => entries[k] !== undefined)) lines.push(['special', '1']);
  return lines;
}

/**
 * The peer's address and the Host the client sent, each read once into a string variable: the
 * rules below use them up to four times, and every use of `src` in a string turns the address
 * into text again (inet_ntop, a printf per use in callgrind's profile). `concat()` with no
 * argument is only the cast to a string. `req.fhdr` takes the whole Host line, as the Node
 * router does, where `req.hdr` would split it at commas.
 */
const PEER_AND_HOST = [
  '  http-request set-var(txn.peer) src,concat()',
  '  http-request set-var(txn.host) req.fhdr(host)',
  '  acl has_host var(txn.host) -m found',
];

/**
 * The router's own `Forwarded` element as the Node router writes it (hop-by-hop.ts): `for=` the
 * peer, an IPv6 one bracketed and quoted; `host=` the Host the client sent, quoted when it is
 * not a token (a port's colon, an IPv6 literal's brackets) and left out when it holds anything
 * a Host name never does; then `proto=http` (RFC 7239). The `host=` part is chosen once into a
 * variable (left unset, so empty in the format, when there is none), and the element is then
 * written by one of two rules, IPv4 or IPv6, with `action` (an add-header, or a set-var-fmt for
 * the trusted case to append to): HAProxy caches no ACL result across rules, so one rule per
 * case tested the peer's family six times and the Host's form up to four times per request
 * (callgrind: 1.1k instructions per request more, bench/router-overhead/haproxy-instructions.ts).
 */
function forwardedElementRules(action: string): string[] {
  return [
    '  acl client_v6 var(txn.peer) -m sub :',
    '  http-request set-var-fmt(txn.fwd_host) ";host=%[var(txn.host)]" if { var(txn.host) -m reg ^[-.0-9A-Za-z_~]+$ }',
    '  http-request set-var-fmt(txn.fwd_host) ";host=\\"%[var(txn.host)]\\"" if !{ var(txn.fwd_host) -m found } { var(txn.host) -m reg ^[-.0-9A-Za-z_~:\\[\\]]+$ }',
    `  http-request ${action} "for=%[var(txn.peer)]%[var(txn.fwd_host)];proto=http" if !client_v6`,
    `  http-request ${action} "for=\\"[%[var(txn.peer)]]\\"%[var(txn.fwd_host)];proto=http" if client_v6`,
  ];
}

/**
 * The forwarded headers, as the Node router sets them. From an untrusted peer every one is
 * replaced by the router's own; with no trusted proxy at all that is three deletions (one by
 * prefix) and an append each, with no condition but Forwarded's cases: fewer instructions per
 * request (callgrind) than the general case, which keeps a trusted peer's values and appends
 * to them. X-Forwarded-For is a rule, not `option forwardfor`: an old worker relaying a request
 * after a reload skips every rule but not that option, and with trusted proxies the serving
 * worker, trusting the relayed client, would append it a second time; without them, the rule
 * reuses the peer's address already in text, which the option would format again.
 */
function forwardedHeaderRules(trustedProxies: readonly string[]): string[] {
  if (trustedProxies.length === 0) {
    return [
      '  http-request del-header x-forwarded- -m beg',
      '  http-request del-header x-real-ip',
      '  http-request del-header forwarded',
      ...PEER_AND_HOST,
      '  http-request add-header x-forwarded-for %[var(txn.peer)]',
      '  http-request add-header x-forwarded-proto http',
      '  http-request add-header x-forwarded-host %[var(txn.host)] if has_host',
      '  http-request add-header x-real-ip %[var(txn.peer)]',
      ...forwardedElementRules('add-header forwarded'),
    ];
  }
  return [
    `  acl trusted_peer src ${trustedProxies.join(' ')}`,
    '  http-request del-header x-forwarded-for if !trusted_peer',
    '  http-request del-header x-forwarded-proto if !trusted_peer',
    '  http-request del-header x-forwarded-host if !trusted_peer',
    '  http-request del-header x-real-ip if !trusted_peer',
    '  http-request del-header forwarded if !trusted_peer',
    ...PEER_AND_HOST,
    '  http-request set-header x-forwarded-proto http if !{ req.hdr(x-forwarded-proto) -m found }',
    '  http-request set-header x-forwarded-host %[var(txn.host)] if !{ req.hdr(x-forwarded-host) -m found } has_host',
    '  http-request set-header x-real-ip %[var(txn.peer)] if !{ req.hdr(x-real-ip) -m found }',
    // A chain on several lines becomes one (req.fhdr reads only the last), then gets our entry.
    `  http-request lua.${JOIN_LINES_ACTION} x-forwarded-for if { req.fhdr_cnt(x-forwarded-for) gt 1 }`,
    `  http-request lua.${JOIN_LINES_ACTION} forwarded if { req.fhdr_cnt(forwarded) gt 1 }`,
    '  http-request set-header x-forwarded-for "%[req.fhdr(x-forwarded-for)], %[var(txn.peer)]" if { req.fhdr_cnt(x-forwarded-for) gt 0 }',
    '  http-request add-header x-forwarded-for %[var(txn.peer)] if { req.fhdr_cnt(x-forwarded-for) eq 0 }',
    ...forwardedElementRules('set-var-fmt(txn.fwd)'),
    '  http-request set-header forwarded "%[req.fhdr(forwarded)], %[var(txn.fwd)]" if { req.fhdr_cnt(forwarded) gt 0 }',
    '  http-request add-header forwarded %[var(txn.fwd)] if { req.fhdr_cnt(forwarded) eq 0 }',
  ];
}

/**
 * cutover's own switch probes carry the token in `x-cutover-probe`; only they get
 * `x-cutover-served-by` (set in each backend). The token is matched exactly, case included;
 * a client's header of any other value is told nothing. The header never reaches the app,
 * whatever it holds.
 */
function probeRules(token: string): string[] {
  return [
    `  http-request set-var(txn.probe) bool(1) if { req.hdr(${PROBE_HEADER}) -m str ${token} }`,
    `  http-request del-header ${PROBE_HEADER}`,
  ];
}

/**
 * WebSockets (any upgrade) and event streams go to the daemon's relay (long-lived-relay.ts),
 * which can end them with a 1001 close frame or a clean end at a drain deadline; HAProxy
 * cannot write into a tunnel. The two header tests run once per request, into a variable:
 * every later rule reads that (callgrind: fewer instructions per plain request than testing
 * the headers in each rule, bench/router-overhead/haproxy-instructions.ts).
 */
const LONG_LIVED_ACLS = [
  '  http-request set-var(txn.long) bool(1) if { req.hdr(upgrade) -m found } || { req.hdr(accept) -m sub text/event-stream }',
  '  acl long_lived var(txn.long) -m found',
];

/**
 * Tells the relay where a long-lived request goes: the listener and the color it would have
 * been sent to, read from the map in the same rule pass as every other request. `routes` are
 * tried in order, each `[route, condition]`; the first that applies is sent (set-header
 * replaces any copy the client sent). Returns those http-request rules and the use_backend
 * route, which goes with the frontend's other routes.
 */
function toLongLivedRelay(routes: Array<[string, string]>): { request: string[]; route: string } {
  const rules = routes.map(([route, condition]) => {
    // AND binds tighter than OR in HAProxy conditions: every OR branch needs its own tests,
    // put last there, so that the common case (no split: a variable test) stops first.
    const branches = (condition === '' ? [''] : condition.split('||')).map((b) => `${b.trim()} long_lived !{ var(txn.relay) -m found }`.trim());
    return `  http-request set-var-fmt(txn.relay) "${route}" if ${branches.join(' || ')}`;
  });
  return { request: [...rules, `  http-request set-header ${RELAY_HEADER} %[var(txn.relay)] if long_lived`], route: '  use_backend long_lived if long_lived' };
}

/**
 * A frontend's first rule, its first route and its relay backend. After a reload the old
 * worker still answers the next request on each keep-alive connection it holds
 * (idle-close-on-response, so it never closes one under a client that is sending on it), but
 * its config, map and servers are as they were: the Runtime API refuses `set server` on a
 * stopping proxy. So it routes nothing itself: `first` skips every later http-request rule, and
 * `route`, the first use_backend, hands the request with the client's address (PROXY protocol)
 * to the serving worker, which takes it on the same frontend through a unix socket (inherited
 * at each reload like the listeners) and routes it as it would any other.
 */
function relayed(listener: 'main' | 'preview', socket: string): { bind: string; first: string; route: string; backend: string } {
  return {
    bind: `  bind unix@${socket} mode 600 accept-proxy`,
    first: '  http-request allow if { stopping }',
    route: `  use_backend relay_${listener} if { stopping }`,
    backend: `backend relay_${listener}
  server serving_worker unix@${socket} send-proxy-v2`,
  };
}

/**
 * The whole HAProxy config for one app. Everything that changes at runtime (the live and
 * preview colors, maintenance and its page, the drain-expired flags, a traffic split's
 * canary, threshold and cohort values) is read per request
 * from one map file, so a switch is one map commit through the Runtime API and never a
 * reload; the map file on disk is kept equal to the committed map, so a restart or reload
 * comes back with the same state.
 */
export function haproxyConfig(input: HaproxyConfigInput): string {
  const m = input.mapFile;
  // Written into a rule as it is: anything but the token's own format could change the config.
  if (!isProbeToken(input.probeToken)) throw new CutoverError('internal', 'the probe token for the HAProxy config is not 64 hex digits');
  const edge = [
    // The relay's routing header is cutover's own: no client may send one on to the app (a
    // long-lived request gets it set again below, from HAProxy's own decision).
    `  http-request del-header ${RELAY_HEADER}`,
    ...forwardedHeaderRules(input.trustedProxies),
    ...probeRules(input.probeToken),
  ];
  if (input.maxRequestBodyBytes !== undefined) {
    edge.push(`  http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${input.maxRequestBodyBytes} }`);
  }
  const split = splitFrontendRules(input.split, m, 'special_on');
  const mainRelay = relayed('main', input.relaySockets.main);
  const previewRelay = relayed('preview', input.relaySockets.preview);
  const mainLongLived = toLongLivedRelay([[`main %[str(canary),map(${m},none)]`, split.useCanaryIf], [`main %[str(live),map(${m},none)]`, '']]);
  const previewLongLived = toLongLivedRelay([[`preview %[str(preview),map(${m},none)]`, '']]);
  const frontends = [
    'frontend main',
    `  bind ${bind(input.main)}`,
    mainRelay.bind,
    ...(input.maxConnections !== undefined ? [`  maxconn ${input.maxConnections}`] : []),
    mainRelay.first,
    ...edge,
    ...LONG_LIVED_ACLS,
    `  http-request set-var(txn.special) str(special),map(${m})`,
    '  acl special_on var(txn.special) -m found',
    `  http-request return status 503 content-type "text/html; charset=utf-8" hdr retry-after "%[str(retry),map(${m},30)]" hdr cache-control no-store lf-string "%[str(page),map(${m}),b64dec]" if special_on { str(maintenance),map(${m},0) -m str 1 }`,
    // Paused: held here (maintenance answers first), then routed by the map as it is on release.
    `  http-request lua.${PAUSE_ACTION} if special_on { str(paused),map(${m},0) -m str 1 }`,
    // A weighted step or cohort sends some requests to the canary; the rest follow `live`.
    ...split.request,
    ...split.response,
    ...mainLongLived.request,
    // HAProxy runs every http-request rule before any use_backend, whatever the written order
    // (and warns when they are mixed), so the routes come last, in the order they are tried.
    mainRelay.route,
    mainLongLived.route,
    `  use_backend main_%[str(canary),map(${m},none)] if ${split.useCanaryIf}`,
    `  use_backend main_%[str(live),map(${m},none)]`,
  ];
  if (input.preview) {
    frontends.push(
      '',
      'frontend preview',
      `  bind ${bind(input.preview)}`,
      previewRelay.bind,
      ...(input.maxConnections !== undefined ? [`  maxconn ${input.maxConnections}`] : []),
      previewRelay.first,
      ...edge,
      ...LONG_LIVED_ACLS,
      ...previewLongLived.request,
      previewRelay.route,
      previewLongLived.route,
      `  use_backend preview_%[str(preview),map(${m},none)]`,
    );
  }
  const backends = [
    mainRelay.backend,
    '',
    ...(input.preview ? [previewRelay.backend, ''] : []),
    'backend long_lived',
    `  server daemon unix@${input.longLivedRelaySocket}`,
    '',
    'backend main_none',
    '  http-request return status 503 content-type text/plain string "service unavailable: no release is live yet\\n"',
    '',
    'backend preview_none',
    '  http-request return status 503 content-type text/plain string "service unavailable: no preview color is set\\n"',
  ];
  for (const color of COLORS) backends.push('', backend(`main_${color}`, color, input), '', backend(`preview_${color}`, color, input));
  return `# Generated by cutover from cutover.yaml; rewritten at every start. Do not edit.
global
  master-worker
  # One thread: a Runtime API line runs between two requests, never beside one, so a map
  # commit and the counters read with it are one atomic step.
  nbthread 1
  # Needs two file descriptors per connection; within a common 20k soft limit.
  maxconn 8000
  stats socket ${input.runtimeSocket} mode 600 level admin expose-fd listeners
  stats timeout 10s
  # An old worker after a reload finishes its requests for as long as a drain would.
  hard-stop-after ${ms(input.drainTimeoutMs + 5_000)}
  tune.bufsize 32768
  lua-load ${input.pauseLuaFile}
  lua-load ${input.drainCutLuaFile}
  lua-load ${input.joinLinesLuaFile}
${input.logPort ? `  log ring@request_log len 256 format raw local0 info\n` : ''}
${input.logPort ? `ring request_log
  # The request log for latency histograms (request-log-histogram.ts): written to memory per
  # request, forwarded in batches over one TCP connection.
  format raw
  maxlen 256
  size 1048576
  timeout connect 1s
  timeout server 24d
  server control_plane 127.0.0.1:${input.logPort}
` : ''}
defaults
  mode http
  maxconn 8000
  timeout connect 5s
  timeout client 65s
  timeout http-request 30s
  timeout http-keep-alive 65s
  timeout server ${input.upstreamHeadersTimeoutMs > 0 ? ms(input.upstreamHeadersTimeoutMs) : '24d'}
  timeout tunnel 24d
  timeout client-fin 5s
  # At a reload the old worker answers the next request on each idle keep-alive connection
  # (with Connection: close) instead of closing it under a client that may be sending on it;
  # it relays that request to the serving worker (see relayed()).
  option idle-close-on-response
  retries 2
  option redispatch 1
  http-reuse safe
${input.logPort ? '  log global\n  log-format "%b %Ta"\n' : ''}
${frontends.join('\n')}

${backends.join('\n')}
`;
}
