import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { COLORS, otherColor, type Color } from '../../core/types.ts';
import { DrainWatch, type DrainReport } from '../drain-watch.ts';
import { ProxyExchange, sendRouterAnswer, type EdgePolicy, type ExchangeOwner } from '../proxy-request.ts';
import { TrafficCounters, type ListenerName } from '../router-metrics.ts';
import { UpstreamPool } from '../upstream-pool.ts';
import type { ReplicaPoolOptions } from '../upstream-replica.ts';
import { refuseUpgrade, WebSocketTunnel } from '../websocket-proxy.ts';

/**
 * Request header HAProxy sets on every request it hands to the relay: `<listener> <color>`
 * (`main blue`, `preview none`), the routing decision it made from its map. HAProxy deletes
 * any copy a client sent from every request (haproxy-config.ts), so a plain request never
 * carries one to the app and a long-lived one carries only HAProxy's; the relay deletes that
 * before the request goes on to the app.
 */
export const RELAY_HEADER = 'x-cutover-relay';

/** HAProxy has already written the forwarded headers for the client; they go on as they came. */
const RELAYED_EDGE: EdgePolicy = { isTrustedPeer: () => false, forwardedAsSent: true };

/**
 * The two socket names the relay alternates between: a daemon taking over from one that still
 * runs cannot bind the path its predecessor listens on (closing a unix listener unlinks its
 * path, which would remove the successor's), while a daemon restarted after a crash takes the
 * same path again, so the generated config is unchanged and HAProxy is adopted without a reload.
 */
const SOCKET_NAMES = ['long-lived-a.sock', 'long-lived-b.sock'] as const;

/** True when something accepts connections on the unix socket at `path`. */
function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The long-lived connections of the `haproxy` engine, relayed by the daemon: WebSockets (any
 * upgrade) and event streams (`Accept: text/event-stream`). HAProxy routes them here, over a
 * unix socket, with the color its map chose, and this relay carries them to that color's
 * replicas with the Node router's own code (WebSocketTunnel, ProxyExchange, DrainWatch).
 *
 * Why not in HAProxy itself: at a drain deadline each WebSocket must get a 1001 close frame
 * and each event stream a clean end, and we found no way for HAProxy 2.6 to write into a
 * connection that has become a tunnel. The Runtime API can only cut a session (`shutdown
 * session`, which clients see as 1006). Lua actions run when rules are evaluated, and a
 * tunnel is past its rules. A Lua filter runs only as data passes, so a deadline on a silent
 * socket would never reach it. Only these connections pay for the extra hop; every other
 * request stays in HAProxy alone.
 */
export class LongLivedRelay implements ExchangeOwner {
  readonly socketPath: string;
  readonly #server: Server;
  readonly #pools: Record<Color, UpstreamPool>;
  readonly #drainTimeoutMs: number;
  readonly #tunnels = new Set<WebSocketTunnel>();
  /** Main-listener event streams per color: what a switch drains. */
  readonly #inFlight: Record<Color, Set<ProxyExchange>> = { blue: new Set(), green: new Set() };
  readonly #drains = new Set<DrainWatch>();
  readonly #counters = new Map<string, TrafficCounters>();
  /**
   * Colors the main listener switched away from (and not back to). HAProxy reads its map per
   * request, so one routed just before a switch may reach the relay just after it: it goes to
   * the live color rather than escape the drain that has already started.
   */
  readonly #leaving = new Set<Color>();
  #closed = false;

  private constructor(socketPath: string, server: Server, pools: Record<Color, UpstreamPool>, drainTimeoutMs: number) {
    this.socketPath = socketPath;
    this.#server = server;
    this.#pools = pools;
    this.#drainTimeoutMs = drainTimeoutMs;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  /**
   * Listens in `dir` on the socket `previous` named when no other process still serves it
   * (a restart after a crash), else on the other one.
   */
  static async listen(dir: string, pool: ReplicaPoolOptions, drainTimeoutMs: number, previous?: string): Promise<LongLivedRelay> {
    const candidates = SOCKET_NAMES.map((name) => join(dir, name));
    let path = candidates.includes(previous ?? '') ? previous! : candidates[0]!;
    if (await listening(path)) path = candidates.find((c) => c !== path)!;
    // A socket file left by a process that is gone: nothing listens on it.
    rmSync(path, { force: true });
    const server = createServer({ keepAlive: true });
    // HAProxy's own timeouts govern these connections (timeout tunnel, timeout server).
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 70_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path, readableAll: false, writableAll: false }, () => { server.off('error', reject); resolve(); });
    });
    const pools = { blue: new UpstreamPool('blue', pool), green: new UpstreamPool('green', pool) };
    return new LongLivedRelay(path, server, pools, drainTimeoutMs);
  }

  setUpstreams(color: Color, urls: string[]): void {
    this.#pools[color].replace(urls);
  }

  /** WebSockets open to `color` now (both listeners). */
  websockets(color: Color): number {
    let n = 0;
    for (const tunnel of this.#tunnels) if (tunnel.color === color) n++;
    return n;
  }

  /**
   * The WebSocket handshakes and event streams this relay carried for (color, listener), counted
   * as the Node router counts them (the same code); null before the first one.
   */
  counters(color: Color, listener: ListenerName): TrafficCounters | null {
    return this.#counters.get(`${color} ${listener}`) ?? null;
  }

  /** Age of the oldest main-listener event stream on `color` still open, in seconds (0 when none), as the Node router counts it. */
  oldestInFlightSeconds(color: Color): number {
    let oldest = Infinity;
    for (const exchange of this.#inFlight[color]) oldest = Math.min(oldest, exchange.startedAt);
    return oldest === Infinity ? 0 : (performance.now() - oldest) / 1000;
  }

  /** `color` may be routed to again on the main listener (a switch back, or a split's canary). */
  serving(color: Color): void {
    this.#leaving.delete(color);
  }

  /**
   * The main listener moves to `color`: the other color's WebSockets and event streams keep
   * working until drainTimeout, then get a 1001 close frame or a clean end (DrainWatch).
   * Called once HAProxy's map commit has succeeded (a failed switch drains nothing): what
   * HAProxy routed to the old color just before the commit and reaches this relay after this
   * call goes to the new color (see #leaving); what reached it before is in the drain.
   */
  switchTo(color: Color): Promise<DrainReport> {
    const old = otherColor(color);
    this.#leaving.delete(color);
    this.#leaving.add(old);
    const tunnels = [...this.#tunnels].filter((t) => t.listener === 'main' && t.color === old);
    const drain = new DrainWatch(old, this.#inFlight[old], tunnels, this.#drainTimeoutMs);
    this.#drains.add(drain);
    void drain.done.then(() => this.#drains.delete(drain));
    return drain.done;
  }

  exchangeFinished(exchange: ProxyExchange): void {
    this.#inFlight[exchange.color].delete(exchange);
  }

  /**
   * A daemon restart: the successor's relay takes new connections (HAProxy was reloaded onto
   * it), so these go now, as on the Node engine: each WebSocket gets its 1001 once open, each
   * event stream under way a clean end, and clients reconnect through the new relay. Those on
   * a color being drained keep their drain's deadline. Resolves once all are gone.
   */
  async retire(): Promise<void> {
    for (const tunnel of this.#tunnels) if (tunnel.drain === null) tunnel.goAwayOnceOpen();
    // Only what asked for an event stream comes here; one whose answer has not started yet may finish.
    for (const color of COLORS) for (const exchange of this.#inFlight[color]) if (exchange.drain === null && exchange.res.headersSent) exchange.abandonForDrain(0);
    const ended = Promise.all([
      ...[...this.#tunnels].map((tunnel) => new Promise<void>((resolve) => tunnel.whenClosed(resolve))),
      ...[...this.#drains].map((drain) => drain.done),
    ]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => { timer = setTimeout(resolve, this.#drainTimeoutMs); })]);
    clearTimeout(timer);
    await this.close();
  }

  /** Ends every drain now, sends every WebSocket its 1001, stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const drain of [...this.#drains]) drain.expire();
    await Promise.all([...this.#tunnels].map((tunnel) => new Promise<void>((resolve) => { tunnel.whenClosed(resolve); tunnel.goAway(); })));
    await new Promise<void>((resolve) => { this.#server.close(() => resolve()); this.#server.closeAllConnections(); });
    await Promise.all(COLORS.map((c) => this.#pools[c].destroy()));
  }

  /** The listener and color HAProxy chose, taken off the request; null for a request that did not come through HAProxy's rules. */
  #route(req: IncomingMessage): { listener: ListenerName; color: Color | null } | null {
    // Read through `headers` first: node builds it lazily from rawHeaders and the count it parsed.
    const value = req.headers[RELAY_HEADER];
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === RELAY_HEADER) raw.splice(i, 2);
    const [listener, color] = (typeof value === 'string' ? value : '').split(' ');
    if (listener !== 'main' && listener !== 'preview') return null;
    if (color !== 'blue' && color !== 'green') return { listener, color: null };
    return { listener, color: listener === 'main' && this.#leaving.has(color) ? otherColor(color) : color };
  }

  #countersOf(color: Color, listener: ListenerName): TrafficCounters {
    const key = `${color} ${listener}`;
    let counters = this.#counters.get(key);
    if (!counters) this.#counters.set(key, counters = new TrafficCounters(color, listener));
    return counters;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const route = this.#route(req);
    if (route === null) return sendRouterAnswer(res, 421, 'misdirected request: this socket takes only what cutover\'s HAProxy relays');
    const { listener, color } = route;
    if (color === null || this.#closed) return sendRouterAnswer(res, 503, `service unavailable: no ${listener === 'main' ? 'release is live' : 'preview color is set'} yet`);
    const pool = this.#pools[color];
    if (pool.size === 0) {
      // Counted on the color, as the Node router counts its own 503 for a color with no upstreams.
      sendRouterAnswer(res, 503, `service unavailable: ${color} has no upstreams`);
      return this.#countersOf(color, listener).record(503, 0);
    }
    const exchange = new ProxyExchange(req, res, color, pool, this.#countersOf(color, listener), this, null, RELAYED_EDGE);
    if (listener === 'main') this.#inFlight[color].add(exchange);
    exchange.start();
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const route = this.#route(req);
    if (route === null) return refuseUpgrade(socket, 421, 'Misdirected Request', 'misdirected request: this socket takes only what cutover\'s HAProxy relays');
    const { listener, color } = route;
    if (color === null || this.#closed) return refuseUpgrade(socket, 503, 'Service Unavailable', `service unavailable: no ${listener === 'main' ? 'release is live' : 'preview color is set'} yet`);
    const tunnel = new WebSocketTunnel(color, listener, socket, this.#countersOf(color, listener), (t) => this.#tunnels.delete(t));
    this.#tunnels.add(tunnel);
    tunnel.open(req, head, this.#pools[color], false, true);
  }
}
