import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CutoverError } from '../core/errors.ts';
import { COLORS, otherColor, type Color } from '../core/types.ts';
import { DrainWatch, type DrainReport } from './drain-watch.ts';
import { renderMaintenancePage, type MaintenancePage, type MaintenanceState } from './maintenance-page.ts';
import { PauseGate } from './pause-gate.ts';
import { isProbeToken, newProbeToken } from './probe-token.ts';
import { answerParseErrorsInOrder, edgePolicy, type NoteResponse } from './client-edge.ts';
import { holdIdleConnections, type IdleConnections } from './idle-connections.ts';
import { InFlightList } from './in-flight-list.ts';
import { ProxyExchange, sendRouterAnswer, type EdgePolicy, type ExchangeOwner } from './proxy-request.ts';
import type { RouterCounters } from './router-counters.ts';
import { RouterMetrics, STATUS_CLASSES, type ListenerName, type StatusClass, type TrafficCounters } from './router-metrics.ts';
import { TrafficSplit, type SplitConfig } from './traffic-split.ts';
import { UpstreamPool, type ReplicaStats } from './upstream-pool.ts';
import { refuseUpgrade, WebSocketTunnel } from './websocket-proxy.ts';

export type { Color } from '../core/types.ts';
export type { DrainReport } from './drain-watch.ts';
export type { MaintenanceState } from './maintenance-page.ts';
export type { SplitConfig, CohortMatch } from './traffic-split.ts';
export type { ListenerName, StatusClass } from './router-metrics.ts';
export type { ReplicaStats } from './upstream-pool.ts';

/** Where to listen and how long to wait; every duration is in milliseconds. */
export interface RouterOptions {
  /** Live traffic. Port 0 picks a free port (see `Router.address`). */
  listen: { host: string; port: number };
  /** Serves the preview color (normally the idle one, set with `setPreview`). */
  preview?: { host: string; port: number };
  /** Serves `GET /metrics` for Prometheus. */
  metrics?: { host: string; port: number };
  /** How long requests left on the old color may run after a switch before they get a 504. */
  drainTimeoutMs: number;
  /** Longest time a request is held while paused; default 10 000. */
  maxPauseMs?: number;
  /** Most keep-alive connections to one replica; default 1024. */
  upstreamConnections?: number;
  /** Time an upstream may take to send response headers before the client gets a 504; default 300 000, 0 disables. */
  upstreamHeadersTimeoutMs?: number;
  /** Longest silence inside an upstream response body; default 0 (none), so long polls and streams work. */
  upstreamBodyTimeoutMs?: number;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-*, Forwarded and X-Real-IP are kept; default none. */
  trustedProxies?: readonly string[];
  /** Request bodies larger than this get 413; default no limit. */
  maxRequestBodyBytes?: number;
  /** Most client connections per listener; more are closed at once. Default no limit. */
  maxConnections?: number;
  /**
   * Listening sockets handed over by the process that holds them (see listener-keeper.ts),
   * used instead of binding `listen`, `preview` and `metrics`. The router then accepts only
   * once `startAccepting()` is called, so a daemon taking over serves its restored state from
   * the first request.
   */
  listenFds?: { main: number; preview?: number; metrics?: number };
  /**
   * The secret that marks cutover's own switch probes (probe-token.ts): only a request whose
   * `x-cutover-probe` is this token is told the color that served it. Default: a new one.
   */
  probeToken?: string;
}

/** What `retire` saw: how the connections this router had when it stopped accepting ended. */
export interface RetireReport {
  /** Every connection ended on its own (its last response said `Connection: close`). */
  drained: boolean;
  durationMs: number;
}

/** What `switchTo` did. `drained` settles once the old color's requests finished or timed out. */
export interface SwitchReport {
  from: Color | null;
  to: Color;
  /** Epoch milliseconds (sub-millisecond precision) at which the swap took effect. */
  switchedAt: number;
  drained: Promise<DrainReport>;
}

/** Counters for requests one listener sent to one color (or answered itself). */
export interface ListenerStats {
  requests: number;
  inFlight: number;
  byClass: Record<StatusClass, number>;
}

export interface ColorStats {
  upstreams: ReplicaStats[];
  /** main + preview */
  requests: number;
  inFlight: number;
  byClass: Record<StatusClass, number>;
  websockets: number;
  main: ListenerStats;
  preview: ListenerStats;
}

/** A snapshot of the router for in-process callers (drivers, tests, the dashboard). */
export interface RouterStats {
  live: Color | null;
  preview: Color | null;
  maintenance: boolean;
  paused: boolean;
  /** Requests waiting in a pause. */
  held: number;
  split: { weights: Partial<Record<Color, number>>; canary: Color; canaryShare: number } | null;
  colors: Record<Color, ColorStats>;
  /** Answers the router gave without any color: maintenance pages and "no live color". */
  unrouted: { main: ListenerStats; preview: ListenerStats };
}

const DEFAULT_MAX_PAUSE_MS = 10_000;

/** The parse-error ordering's per-request step of each client listener (see answerParseErrorsInOrder). */
interface ListenerNotes {
  main: NoteResponse;
  preview?: NoteResponse;
}

function listenerStats(counters: TrafficCounters): ListenerStats {
  const byClass = {} as Record<StatusClass, number>;
  STATUS_CLASSES.forEach((c, i) => { byClass[c] = counters.byClass[i]!; });
  return { requests: counters.requests, inFlight: counters.inFlight, byClass };
}

function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return address.family === 'IPv6' || host.includes(':') ? `http://[${host}]:${address.port}` : `http://${host}:${address.port}`;
}

/** Why a listen fails, in the words of what to do about it. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'another process is listening there; stop it or choose another port',
  EACCES: 'not permitted (ports below 1024 need privileges); choose a port above 1023',
  EADDRNOTAVAIL: 'no network interface of this host has that address',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/** The config error for a listener that cannot bind, naming the field and what to do. */
export function listenError(field: string, at: { host: string; port: number }, err: NodeJS.ErrnoException): CutoverError {
  const why = err.code && LISTEN_ERRORS[err.code] ? `${err.code} (${LISTEN_ERRORS[err.code]})` : err.code ?? err.message;
  return new CutoverError('config', `${field}: cannot listen on ${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}: ${why}`, {
    cause: err,
    details: { field, host: at.host, port: at.port, errno: err.code },
  });
}

/** Listens on `at` (or on the inherited socket `fd`); `field` is the config field it comes from, named in the error. */
async function listen(server: Server, field: string, at: { host: string; port: number }, fd?: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(field, at, err));
    server.once('error', onError);
    server.listen(fd === undefined ? { host: at.host, port: at.port } : { fd }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return urlOf(server.address() as AddressInfo);
}

async function closeServer(server: Server): Promise<void> {
  // A retired server stopped listening but may still hold connections.
  if (!server.listening) {
    server.closeAllConnections();
    return;
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/**
 * The local data plane: a reverse proxy with a main listener for the live color, a preview
 * listener for the other one, and an optional metrics listener. Every setter is
 * synchronous and takes effect for the next request the router reads.
 */
export class Router implements ExchangeOwner {
  readonly address: { main: string; preview?: string; metrics?: string };
  /** What cutover's own probes send as `x-cutover-probe` (RouterOptions.probeToken). */
  readonly probeToken: string;
  readonly #options: RouterOptions;
  readonly #servers: Server[];
  readonly #pools: Record<Color, UpstreamPool>;
  readonly #metrics: RouterMetrics;
  readonly #gate: PauseGate;
  readonly #edge: EdgePolicy;
  /** Main-listener requests in flight per color: what a switch drains. */
  readonly #inFlight: Record<Color, InFlightList<ProxyExchange>> = { blue: new InFlightList(), green: new InFlightList() };
  readonly #tunnels = new Set<WebSocketTunnel>();
  readonly #drains = new Set<DrainWatch>();
  readonly #idle: IdleConnections[] = [];
  #live: Color | null = null;
  #preview: Color | null = null;
  #maintenance: MaintenancePage | null = null;
  #split: TrafficSplit | null = null;
  #closed = false;
  /** Set by `retire`: another process accepts now; answers here close their connection. */
  #retiring = false;
  #accepting: Promise<void> | null = null;

  private constructor(options: RouterOptions, servers: Server[], address: Router['address'], metrics: RouterMetrics, pools: Record<Color, UpstreamPool>) {
    this.#options = options;
    this.#servers = servers;
    this.address = address;
    this.#metrics = metrics;
    this.#pools = pools;
    this.#gate = new PauseGate(options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS);
    this.probeToken = options.probeToken ?? newProbeToken();
    this.#edge = edgePolicy(options.trustedProxies ?? [], options.maxRequestBodyBytes, this.probeToken);
  }

  /**
   * Starts the listeners. With no live color yet, the main listener answers 503.
   * @throws CutoverError('config') when a listener cannot bind, or for bad durations.
   */
  static async start(options: RouterOptions): Promise<Router> {
    if (!Number.isFinite(options.drainTimeoutMs) || options.drainTimeoutMs < 0) {
      throw new CutoverError('config', `router drainTimeoutMs must be >= 0, got ${options.drainTimeoutMs}`);
    }
    const maxPause = options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;
    if (!Number.isFinite(maxPause) || maxPause < 0) {
      throw new CutoverError('config', `router maxPauseMs must be >= 0, got ${maxPause}`);
    }
    const poolOptions = {
      connections: options.upstreamConnections ?? 1024,
      headersTimeoutMs: options.upstreamHeadersTimeoutMs ?? 300_000,
      bodyTimeoutMs: options.upstreamBodyTimeoutMs ?? 0,
    };
    const pools = { blue: new UpstreamPool('blue', poolOptions), green: new UpstreamPool('green', poolOptions) };
    let router: Router | undefined;
    const metrics = new RouterMetrics(() => router?.live ?? null, (color) => router?.oldestInFlightSeconds(color) ?? 0);

    edgePolicy(options.trustedProxies ?? [], undefined); // throws on a bad entry before anything binds
    if (options.probeToken !== undefined && !isProbeToken(options.probeToken)) {
      throw new CutoverError('internal', 'the router was given a probe token that is not 64 hex digits');
    }
    const main = createServer({ noDelay: true });
    const notes: ListenerNotes = { main: answerParseErrorsInOrder(main) };
    if (options.maxConnections !== undefined) main.maxConnections = options.maxConnections;
    const servers: Server[] = [main];
    const address: { main: string; preview?: string; metrics?: string } = { main: '' };
    if (options.listenFds) {
      const preview = options.preview ? createServer({ noDelay: true }) : undefined;
      const metricsServer = options.metrics ? createServer() : undefined;
      for (const server of [preview, metricsServer]) if (server) servers.push(server);
      if (preview) {
        notes.preview = answerParseErrorsInOrder(preview);
        if (options.maxConnections !== undefined) preview.maxConnections = options.maxConnections;
      }
      router = new Router(options, servers, address, metrics, pools);
      router.#attach(main, preview, metricsServer, notes);
      return router;
    }
    try {
      address.main = await listen(main, 'router.listen', options.listen);
      let preview: Server | undefined;
      if (options.preview) {
        preview = createServer({ noDelay: true });
        notes.preview = answerParseErrorsInOrder(preview);
        if (options.maxConnections !== undefined) preview.maxConnections = options.maxConnections;
        servers.push(preview);
        address.preview = await listen(preview, 'router.preview', options.preview);
      }
      let metricsServer: Server | undefined;
      if (options.metrics) {
        metricsServer = createServer();
        servers.push(metricsServer);
        address.metrics = await listen(metricsServer, 'router.metrics', options.metrics);
      }
      router = new Router(options, servers, address, metrics, pools);
      router.#attach(main, preview, metricsServer, notes);
      return router;
    } catch (err) {
      await Promise.all(servers.map(closeServer));
      throw err;
    }
  }

  /**
   * With `listenFds`: starts accepting on the handed-over sockets and fills `address`.
   * Without: a no-op (the listeners accept from `start` on). Idempotent.
   * @throws CutoverError('config') when a socket cannot be used.
   */
  startAccepting(): Promise<void> {
    const fds = this.#options.listenFds;
    if (!fds) return Promise.resolve();
    this.#accepting ??= (async () => {
      const [main, ...rest] = this.#servers;
      this.address.main = await listen(main!, 'router.listen', this.#options.listen, fds.main);
      let next = 0;
      if (this.#options.preview) this.address.preview = await listen(rest[next++]!, 'router.preview', this.#options.preview, fds.preview);
      if (this.#options.metrics) this.address.metrics = await listen(rest[next++]!, 'router.metrics', this.#options.metrics, fds.metrics);
    })();
    return this.#accepting;
  }

  /**
   * One 'request' listener per server, which also runs the parse-error ordering and the idle
   * hold's per-request steps: with several listeners node's `emit` copies the listener list
   * on every request.
   */
  #attach(main: Server, preview: Server | undefined, metricsServer: Server | undefined, notes: ListenerNotes): void {
    main.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onMainUpgrade(req, socket, head));
    preview?.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onPreviewUpgrade(req, socket, head));
    // After the 'upgrade' listeners: the idle hold watches upgrades only where they are served.
    this.#serve(main, notes.main, (req, res) => this.#onMainRequest(req, res));
    if (preview) this.#serve(preview, notes.preview!, (req, res) => this.#onPreviewRequest(req, res));
    if (metricsServer) this.#serve(metricsServer, null, (req, res) => this.#onMetricsRequest(req, res));
  }

  /** The server's one 'request' listener: the parse-error note, the request itself, then the idle hold's step. */
  #serve(server: Server, note: NoteResponse | null, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
    const idle = holdIdleConnections(server);
    this.#idle.push(idle);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      note?.(req, res);
      handle(req, res);
      idle.inUse(req);
    });
  }

  /** The color the main listener serves, or null before the first switch. */
  get live(): Color | null {
    return this.#live;
  }

  /** The color the preview listener serves. */
  get preview(): Color | null {
    return this.#preview;
  }

  /**
   * Points `color` at these replica addresses (`http://host:port`). Replicas that stay keep
   * their connections; removed ones finish their requests in flight, then close. Idempotent.
   * @throws CutoverError('config') for an address that is not a plain http origin.
   */
  setUpstreams(color: Color, urls: string[]): void {
    this.#assertColor(color);
    this.#pools[color].replace(urls);
  }

  /** The replica addresses of `color`, as origins. */
  upstreams(color: Color): string[] {
    this.#assertColor(color);
    return this.#pools[color].urls;
  }

  /**
   * Makes `color` live in one synchronous step and clears any traffic split. Every request
   * the router reads after this returns goes to `color`; requests already running on the
   * other color drain for up to `drainTimeoutMs` and then get a 504 (an event stream already
   * under way is ended instead); WebSockets on the other color keep working until then and are
   * closed with a 1001 close frame. Switching to the live color is allowed (it ends a split).
   * @throws CutoverError('refused') when `color` has no upstreams.
   */
  switchTo(color: Color): SwitchReport {
    this.#assertColor(color);
    this.#assertOpen();
    if (this.#pools[color].size === 0) {
      throw new CutoverError('refused', `cannot switch traffic to ${color}: it has no upstreams`, { details: { color } });
    }
    const from = this.#live;
    this.#live = color;
    this.#split = null;
    const switchedAt = performance.timeOrigin + performance.now();
    const old = otherColor(color);
    const leavingTunnels = [...this.#tunnels].filter((t) => t.listener === 'main' && t.color === old);
    const drain = new DrainWatch(old, this.#inFlight[old], leavingTunnels, this.#options.drainTimeoutMs);
    this.#drains.add(drain);
    void drain.done.then(() => this.#drains.delete(drain));
    return { from, to: color, switchedAt, drained: drain.done };
  }

  /**
   * Settles once every drain of `color` under way (requests and WebSockets that were open on it
   * when traffic switched away) has ended: each request finished, or got its 504 at
   * `drainTimeoutMs`, and each WebSocket closed, at the latest by its 1001 close frame. At once
   * when there is none. Stopping a color's processes before this would cut those requests.
   */
  async drained(color: Color): Promise<void> {
    this.#assertColor(color);
    await Promise.all([...this.#drains].filter((d) => d.color === color).map((d) => d.done));
  }

  /** Chooses what the preview listener serves; null makes it answer 503. Idempotent. */
  setPreview(color: Color | null): void {
    if (color !== null) this.#assertColor(color);
    this.#preview = color;
  }

  /**
   * Turns maintenance on or off for the main listener (preview keeps working so checks can
   * run). While on, every request gets 503 with `Retry-After` and the page. Idempotent.
   * @throws CutoverError('not-found') when `pageFile` cannot be read.
   */
  setMaintenance(state: MaintenanceState): void {
    this.#maintenance = state.on ? renderMaintenancePage(state) : null;
  }

  /** Holds new main-listener requests until `unpause()` or `maxPauseMs`. Idempotent. */
  pause(): void {
    this.#gate.pause();
  }

  /** Releases held requests to whatever is live now. Idempotent. */
  unpause(): void {
    this.#gate.unpause();
  }

  /**
   * Divides main-listener traffic between the live color and the other one (see
   * SplitConfig). Replaces any earlier split; `switchTo` and `clearSplit` end it.
   * @throws CutoverError('refused') with no live color, or when the canary would get
   *   traffic but has no upstreams; CutoverError('usage') for bad weights or names.
   */
  setSplit(split: SplitConfig): void {
    this.#split = this.validateSplit(split);
  }

  /** What `setSplit` would enforce, without enforcing it; throws as `setSplit` does. */
  validateSplit(split: SplitConfig): TrafficSplit {
    const live = this.#live;
    if (live === null) throw new CutoverError('refused', 'cannot split traffic: no color is live yet');
    const next = new TrafficSplit(split, live);
    if (next.usesCanary && this.#pools[next.canary].size === 0) {
      throw new CutoverError('refused', `cannot split traffic: ${next.canary} has no upstreams`, { details: { color: next.canary } });
    }
    return next;
  }

  /** Sends all main-listener traffic to the live color again. Idempotent. */
  clearSplit(): void {
    this.#split = null;
  }

  /** Prometheus text for the router's own registry. */
  metricsText(): Promise<string> {
    return this.#metrics.text();
  }

  /** The same counters as JSON, for cutover's own readers (builtin metrics, bake window, dashboard). */
  counters(): RouterCounters {
    return this.#metrics.snapshot();
  }

  stats(): RouterStats {
    const colors = {} as Record<Color, ColorStats>;
    for (const color of COLORS) {
      const main = listenerStats(this.#metrics.counters(color, 'main'));
      const preview = listenerStats(this.#metrics.counters(color, 'preview'));
      const byClass = {} as Record<StatusClass, number>;
      for (const c of STATUS_CLASSES) byClass[c] = main.byClass[c] + preview.byClass[c];
      let websockets = 0;
      for (const t of this.#tunnels) if (t.color === color) websockets++;
      colors[color] = {
        upstreams: this.#pools[color].stats(),
        requests: main.requests + preview.requests,
        inFlight: main.inFlight + preview.inFlight,
        byClass,
        websockets,
        main,
        preview,
      };
    }
    const split = this.#split;
    return {
      live: this.#live,
      preview: this.#preview,
      maintenance: this.#maintenance !== null,
      paused: this.#gate.paused,
      held: this.#gate.held,
      split: split === null ? null : { weights: { ...split.config.weights }, canary: split.canary, canaryShare: split.canaryShare },
      colors,
      unrouted: {
        main: listenerStats(this.#metrics.counters('none', 'main')),
        preview: listenerStats(this.#metrics.counters('none', 'preview')),
      },
    };
  }

  /**
   * Stops listening, answers held requests with 503, closes each WebSocket with a 1001 close
   * frame on both sides (within a short grace, then cut), cuts the other open connections and
   * closes the upstream pools. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gate.unpause();
    for (const drain of [...this.#drains]) drain.expire();
    await this.#tunnelsGoneAway();
    await Promise.all(this.#servers.map(closeServer));
    await Promise.all(COLORS.map((c) => this.#pools[c].destroy()));
  }

  /**
   * Hands the listeners over to another process that accepts on the same sockets: stops
   * accepting here (the sockets stay open in the process holding them, so no connection is
   * refused), keeps serving the connections it has, and answers each next request on them
   * with `Connection: close`, so clients reconnect to the new process at a request boundary
   * instead of losing a request to a closed keep-alive connection. WebSockets get a 1001 close
   * frame at once (those on a color being drained, at their drain's deadline). After
   * `drainTimeoutMs`, whatever is left is closed as in `close()`.
   * Resolves once every connection is gone.
   */
  async retire(): Promise<RetireReport> {
    const started = performance.now();
    this.#retiring = true;
    // Idle connections close as node would (clients were told 5 s), so the handover is not
    // held up by connections no request will use again.
    for (const idle of this.#idle) idle.closeAtAdvertised();
    // WebSockets (main and preview) would otherwise hold the handover until drainTimeout and
    // then be cut (1006). The new process already accepts, so a 1001 now lets clients reconnect
    // to it at once. Keeping them open across the handover would mean passing each pair of
    // sockets and its frame state to the new process; their apps keep running either way. A
    // socket on a color being drained keeps its drain's deadline.
    for (const tunnel of this.#tunnels) if (tunnel.drain === null) tunnel.goAwayOnceOpen();
    // net.Server's close, not http.Server's: the latter also closes idle keep-alive
    // connections at once, racing a request the client may be sending on one right now.
    const ended = this.#servers.filter((s) => s.listening).map((server) => new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve())));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(ended).then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), this.#options.drainTimeoutMs); }),
    ]);
    clearTimeout(timer);
    await this.close();
    return { drained, durationMs: performance.now() - started };
  }

  /** Tells every WebSocket left to go away and settles once all have closed (each within its short grace). */
  #tunnelsGoneAway(): Promise<void> {
    const closing = [...this.#tunnels].map((tunnel) => new Promise<void>((resolve) => {
      tunnel.whenClosed(resolve);
      tunnel.goAway();
    }));
    return Promise.all(closing).then(() => {});
  }

  /** Age of the oldest main-listener request to `color` still in flight. */
  oldestInFlightSeconds(color: Color): number {
    const oldest = this.#inFlight[color].oldest;
    return oldest === null ? 0 : (performance.now() - oldest.startedAt) / 1000;
  }

  exchangeFinished(exchange: ProxyExchange): void {
    this.#inFlight[exchange.color].delete(exchange);
  }

  // --- request paths ---

  #onMainRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#retiring) res.shouldKeepAlive = false;
    if (this.#maintenance === null && this.#gate.paused && !this.#closed) {
      this.#gate.hold(() => this.#routeMain(req, res));
      return;
    }
    this.#routeMain(req, res);
  }

  #routeMain(req: IncomingMessage, res: ServerResponse): void {
    if (res.destroyed) return;
    const maintenance = this.#maintenance;
    if (maintenance !== null) {
      res.writeHead(503, maintenance.headers as string[]);
      res.end(maintenance.body);
      this.#metrics.counters('none', 'main').record(503, 0);
      return;
    }
    if (this.#closed) {
      this.#routerAnswer(res, 'none', 'main', 503, 'service unavailable: the router is shutting down');
      return;
    }
    let color = this.#live;
    if (color === null) {
      this.#routerAnswer(res, 'none', 'main', 503, 'service unavailable: no release is live yet');
      return;
    }
    let setCookie: string | null = null;
    const split = this.#split;
    if (split !== null) {
      const decision = split.choose(req);
      setCookie = decision.setCookie;
      if (this.#pools[decision.color].size > 0) color = decision.color;
    }
    const pool = this.#pools[color];
    if (pool.size === 0) {
      this.#routerAnswer(res, color, 'main', 503, `service unavailable: live color ${color} has no upstreams`);
      return;
    }
    const exchange = new ProxyExchange(req, res, color, pool, this.#metrics.counters(color, 'main'), this, setCookie, this.#edge);
    this.#inFlight[color].add(exchange);
    exchange.start();
  }

  #onPreviewRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#retiring) res.shouldKeepAlive = false;
    const color = this.#preview;
    if (color === null) {
      this.#routerAnswer(res, 'none', 'preview', 503, 'service unavailable: no preview color is set');
      return;
    }
    const pool = this.#pools[color];
    if (pool.size === 0) {
      this.#routerAnswer(res, color, 'preview', 503, `service unavailable: preview color ${color} has no upstreams`);
      return;
    }
    new ProxyExchange(req, res, color, pool, this.#metrics.counters(color, 'preview'), this, null, this.#edge).start();
  }

  #routerAnswer(res: ServerResponse, color: Color | 'none', listener: ListenerName, status: number, text: string): void {
    sendRouterAnswer(res, status, text);
    this.#metrics.counters(color, listener).record(status, 0);
  }

  #onMainUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.#maintenance === null && this.#gate.paused && !this.#closed) {
      this.#gate.hold(() => this.#routeMainUpgrade(req, socket, head));
      return;
    }
    this.#routeMainUpgrade(req, socket, head);
  }

  #routeMainUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (socket.destroyed) return;
    const maintenance = this.#maintenance;
    if (maintenance !== null) {
      const retryAfter = maintenance.headers[maintenance.headers.indexOf('retry-after') + 1];
      refuseUpgrade(socket, 503, 'Service Unavailable', 'service unavailable: down for maintenance', `Retry-After: ${retryAfter}\r\n`);
      return;
    }
    let color = this.#live;
    if (color === null || this.#closed) {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'service unavailable: no release is live yet');
      return;
    }
    const split = this.#split;
    if (split !== null) {
      const decision = split.choose(req);
      if (this.#pools[decision.color].size > 0) color = decision.color;
    }
    this.#openTunnel(req, socket, head, color, 'main');
  }

  #onPreviewUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const color = this.#preview;
    if (color === null || this.#closed) {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'service unavailable: no preview color is set');
      return;
    }
    this.#openTunnel(req, socket, head, color, 'preview');
  }

  #openTunnel(req: IncomingMessage, socket: Duplex, head: Buffer, color: Color, listener: ListenerName): void {
    const tunnel = new WebSocketTunnel(color, listener, socket, this.#metrics.counters(color, listener), (t) => this.#tunnels.delete(t));
    this.#tunnels.add(tunnel);
    tunnel.open(req, head, this.#pools[color], this.#edge.isTrustedPeer(req.socket.remoteAddress));
  }

  #onMetricsRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#retiring) res.shouldKeepAlive = false;
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      sendRouterAnswer(res, 404, 'not found: this listener serves GET /metrics only');
      return;
    }
    this.#metrics.text().then(
      (text) => {
        res.writeHead(200, ['content-type', this.#metrics.contentType]);
        res.end(text);
      },
      (err: Error) => sendRouterAnswer(res, 500, `metrics failed: ${err.message}`),
    );
  }

  #assertColor(color: Color): void {
    if (color !== 'blue' && color !== 'green') {
      throw new CutoverError('usage', `unknown color ${JSON.stringify(color)}: expected blue or green`);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new CutoverError('refused', 'the router is closed');
  }
}
