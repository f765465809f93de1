import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Color } from '../core/types.ts';
import { forgetClosedResponse } from './client-edge.ts';
import { downstreamResponseHeaders, upstreamRequestHead, type UpstreamRequestHead } from './hop-by-hop.ts';
import { SERVED_BY_HEADER } from './probe-token.ts';
import { BAD_TARGET_MESSAGE, requestTarget } from './request-target.ts';
import type { TrafficCounters } from './router-metrics.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import { isConnectFailure, type UpstreamReplica } from './upstream-replica.ts';

/** Status recorded for a request whose client went away before the answer was complete. */
export const CLIENT_CLOSED_STATUS = 499;

/** Errors on a reused keep-alive connection that happen before the upstream answered. */
const STALE_CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

const EXCHANGE = Symbol('cutover.exchange');

/**
 * One shared 'close' listener for every response, finding its exchange through a symbol:
 * a per-request arrow function would cost a closure allocation on the hot path.
 */
function onResponseClose(this: ServerResponse & { [EXCHANGE]?: ProxyExchange }): void {
  this[EXCHANGE]?.clientClosed();
  forgetClosedResponse(this);
}

/** Per-listener rules at the edge, shared by every exchange of one router. */
export interface EdgePolicy {
  /** True when the peer at this address is a proxy whose forwarded headers we keep. */
  isTrustedPeer(address: string | undefined): boolean;
  /** Largest request body accepted, in bytes; larger ones get 413. Undefined: no limit. */
  maxRequestBodyBytes?: number;
  /** Every peer is cutover's own edge, which already wrote the forwarded headers (UpstreamHeadOptions.forwardedAsSent). */
  forwardedAsSent?: boolean;
  /**
   * True when an `x-cutover-probe` value is the control plane's probe token (probe-token.ts):
   * only such a probe is told the color that served it. Absent: no request is.
   */
  isOwnProbe?(value: string): boolean;
}

export const OPEN_EDGE: EdgePolicy = { isTrustedPeer: () => false };

const NO_HEAD: UpstreamRequestHead = Object.freeze({ headers: [], hasBody: false, probe: null });

class BodyTooLarge extends Error {
  readonly code = 'CUTOVER_BODY_TOO_LARGE';
}

/** Passes a chunked body through while counting it; errors once it exceeds `limit` bytes. */
class BodyLimit extends Transform {
  #seen = 0;
  readonly #limit: number;
  exceeded = false;
  constructor(limit: number) {
    super();
    this.#limit = limit;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      this.exceeded = true;
      callback(new BodyTooLarge(`request body larger than ${this.#limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}

/** `host:port` of the listener a request arrived on, for requests that name no Host. */
function listenerHost(socket: Socket): string | undefined {
  const address = socket.localAddress;
  if (address === undefined) return undefined;
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.includes(':') ? `[${host}]:${socket.localPort}` : `${host}:${socket.localPort}`;
}

/** What a proxied request tells its owner when it is over. */
export interface ExchangeOwner {
  /** Called exactly once per exchange, after its response ended, failed or was cut. */
  exchangeFinished(exchange: ProxyExchange): void;
}

/**
 * Sends an answer the router made itself (never reaching an upstream).
 * Idempotent: does nothing once headers are out.
 */
export function sendRouterAnswer(res: ServerResponse, status: number, text: string, extraHeaders: readonly string[] = []): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, [
    'content-type', 'text/plain; charset=utf-8',
    'content-length', String(body.length),
    'cache-control', 'no-store',
    ...extraHeaders,
  ]);
  res.end(body);
}

/**
 * One client request proxied to one color: picks a replica, streams the request body up
 * and the response body down with backpressure both ways (undici pauses reading from the
 * upstream while the client's socket is full; undici pauses the client request while the
 * upstream socket is full), and retries on another replica of the same color when that is
 * safe. This object is the undici dispatch handler itself, so a request allocates no
 * intermediate streams.
 */

export class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly color: Color;
  readonly counters: TrafficCounters;
  /** `performance.now()` when the request reached the router. */
  readonly startedAt: number;
  /** The drain that waits for this request, if a switch moved traffic away from its color. */
  drain: { settle(exchange: ProxyExchange): void } | null = null;
  /** Neighbours in the router's list of main-listener requests in flight (see in-flight-list.ts). */
  inFlightPrev: ProxyExchange | null = null;
  inFlightNext: ProxyExchange | null = null;

  readonly #pool: UpstreamPool;
  readonly #owner: ExchangeOwner;
  readonly #edge: EdgePolicy;
  #head: UpstreamRequestHead = NO_HEAD;
  #path = '/';
  #body: IncomingMessage | BodyLimit | null = null;
  readonly #setCookie: string | null;
  #replica: UpstreamReplica | null = null;
  #tried: UpstreamReplica[] | null = null;
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #status = 0;
  /** The response head sent to the client (flat list), kept to tell an event stream at a drain. */
  #responseHeaders: string[] | null = null;
  #clientGone = false;
  #done = false;

  constructor(req: IncomingMessage, res: ServerResponse, color: Color, pool: UpstreamPool, counters: TrafficCounters, owner: ExchangeOwner, setCookie: string | null, edge: EdgePolicy = OPEN_EDGE) {
    this.req = req;
    this.res = res;
    this.color = color;
    this.counters = counters;
    this.startedAt = performance.now();
    this.#pool = pool;
    this.#owner = owner;
    this.#setCookie = setCookie;
    this.#edge = edge;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Starts proxying. Call once. */
  start(): void {
    this.counters.inFlight++;
    (this.res as ServerResponse & { [EXCHANGE]?: ProxyExchange })[EXCHANGE] = this;
    this.res.on('close', onResponseClose);
    const req = this.req;
    const target = requestTarget(req.url);
    if (target === null) {
      this.#answer(400, BAD_TARGET_MESSAGE);
      return;
    }
    this.#path = target.path;
    const remote = req.socket.remoteAddress;
    this.#head = upstreamRequestHead(req.rawHeaders, remote, false, {
      trustedPeer: this.#edge.isTrustedPeer(remote),
      forwardedAsSent: this.#edge.forwardedAsSent,
      hostOverride: target.host,
      defaultHost: req.httpVersionMinor === 0 && req.httpVersionMajor === 1 ? listenerHost(req.socket) : undefined,
    });
    const limit = this.#edge.maxRequestBodyBytes;
    if (this.#head.hasBody) {
      this.#body = req;
      if (limit !== undefined) {
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) > limit) {
          this.#tooLarge(limit);
          return;
        }
        if (declared === undefined) this.#body = req.pipe(new BodyLimit(limit));
      }
    }
    this.#attempt();
  }

  /** 413, and the connection closes: the rest of the body is never read. */
  #tooLarge(limit: number): void {
    this.res.shouldKeepAlive = false;
    this.#answer(413, `payload too large: the request body is larger than the router's limit of ${limit} bytes`);
  }

  /**
   * Ends the exchange for a drain that ran out of time: 504 when the response has not
   * started, otherwise the client connection is cut. Idempotent.
   */
  abandonForDrain(drainTimeoutMs: number): void {
    if (this.#done) return;
    const abort = this.#abort;
    if (!this.res.headersSent) {
      this.#answer(504, `gateway timeout: ${this.color} was switched away from and did not answer within the ${drainTimeoutMs} ms drain timeout`);
    } else if (this.#isChunkedEventStream()) {
      // The event-stream counterpart of a WebSocket's 1001: a clean end makes the client's
      // EventSource reconnect (to the live color) as it would after any end of stream, and an
      // event cut short is dropped by the client, whereas a cut connection reads as an error.
      this.#finish(this.#status);
      this.res.end();
    } else {
      this.res.destroy();
      this.#finish(504);
    }
    abort?.(new Error('drain timeout'));
  }

  /** True when the response under way is `text/event-stream` without a Content-Length. */
  #isChunkedEventStream(): boolean {
    const headers = this.#responseHeaders;
    if (headers === null) return false;
    let eventStream = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      if (name === 'content-length') return false;
      if (name === 'content-type') eventStream = headers[i + 1]!.trimStart().toLowerCase().startsWith('text/event-stream');
    }
    return eventStream;
  }

  /** `fallback`: the replica to use again when every other one was tried (see `onError`). */
  #attempt(fallback: UpstreamReplica | null = null): void {
    const replica = this.#pool.pick(this.#tried) ?? fallback;
    if (replica === null) {
      const tried = this.#tried?.length ?? 0;
      this.counters.upstreamErrors++;
      this.#answer(502, tried === 0
        ? `bad gateway: ${this.color} has no upstreams`
        : `bad gateway: no ${this.color} replica accepted the request (${tried} tried)`);
      return;
    }
    this.#replica = replica;
    replica.inFlight++;
    replica.dispatcher.dispatch({
      path: this.#path,
      method: this.req.method as Dispatcher.HttpMethod,
      headers: this.#head.headers,
      body: this.#body,
    }, this);
  }

  /** The client's connection closed; stops the upstream request if still running. Idempotent. */
  clientClosed(): void {
    if (this.#done) return;
    this.#clientGone = true;
    const abort = this.#abort;
    if (abort !== null) abort(new Error('client closed the connection'));
    // Not connected yet: onConnect or onError will notice #clientGone.
  }

  #releaseReplica(): void {
    const replica = this.#replica;
    if (replica !== null) {
      replica.inFlight--;
      this.#replica = null;
    }
    this.#abort = null;
  }

  #finish(status: number): void {
    if (this.#done) return;
    this.#done = true;
    this.counters.inFlight--;
    this.counters.record(status, (performance.now() - this.startedAt) / 1000);
    this.drain?.settle(this);
    this.#owner.exchangeFinished(this);
  }

  #answer(status: number, text: string): void {
    sendRouterAnswer(this.res, status, text);
    this.#finish(status);
  }

  // undici handler (the callback-style interface: it hands over raw header buffers, which
  // saves building and re-flattening a header object per response).

  onConnect(abort: (err?: Error) => void): void {
    if (this.#done || this.#clientGone) {
      abort(new Error('client closed the connection'));
      return;
    }
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200 || this.#done) return true;
    const headers = downstreamResponseHeaders(rawHeaders);
    if (this.#setCookie !== null) headers.push('set-cookie', this.#setCookie);
    // cutover's own switch probes learn which color answered them, so the proof counts its
    // probes rather than every request (user traffic included) that reached the color. A
    // client's header, whatever it holds, learns nothing: which color serves is internal.
    // (Read from the head already scanned: `req.headers` would build a header object per
    // request; a request without the header pays one null test, as it paid a boolean one.)
    const probe = this.#head.probe;
    if (probe !== null && this.#edge.isOwnProbe?.(probe) === true) headers.push(SERVED_BY_HEADER, this.color);
    this.#status = statusCode;
    this.#responseHeaders = headers;
    this.#resume = resume;
    if (statusText) this.res.writeHead(statusCode, statusText, headers);
    else this.res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) return true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.#resume!);
    return false;
  }

  onComplete(): void {
    this.#releaseReplica();
    if (this.#done) return;
    this.res.end();
    this.#finish(this.#status);
  }

  onError(err: Error): void {
    const replica = this.#replica;
    this.#releaseReplica();
    if (this.#done) return;
    if (this.#clientGone) {
      this.#finish(CLIENT_CLOSED_STATUS);
      return;
    }
    if (this.#body instanceof BodyLimit && this.#body.exceeded) {
      if (this.res.headersSent) {
        this.res.destroy();
        this.#finish(413);
      } else {
        this.#tooLarge(this.#edge.maxRequestBodyBytes!);
      }
      return;
    }
    if (!this.res.headersSent && replica !== null && this.#canRetry(err)) {
      const refused = isConnectFailure(err);
      if (refused) replica.markUnreachable();
      (this.#tried ??= []).push(replica);
      // A reset on a reused connection says nothing against the replica (its idle close
      // raced our reuse), so with no other replica left the request goes to it again, on a
      // fresh connection: a color of one replica must not answer 502 for that race.
      this.#attempt(refused ? null : replica);
      return;
    }
    if (this.res.headersSent) {
      // The status line is out; the only way left to tell the client is to cut the connection.
      this.res.destroy();
      this.counters.upstreamErrors++;
      this.#finish(502);
      return;
    }
    this.counters.upstreamErrors++;
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      // No internal address in an answer a client reads: the replica is named by color only.
      this.#answer(504, `gateway timeout: a ${this.color} replica sent no response headers in time`);
    } else {
      this.#answer(502, `bad gateway: a ${this.color} replica failed: ${code ?? 'error'}`);
    }
  }

  /**
   * A refused connection never reached the app and left the request body unread, so any
   * request may go to another replica. A reset on a reused connection may have reached the
   * app, so only body-less idempotent requests are sent again.
   */
  #canRetry(err: Error): boolean {
    if (isConnectFailure(err)) return !this.req.readableDidRead;
    const code = (err as { code?: string }).code;
    if (code === undefined || !STALE_CONNECTION_ERRORS.has(code) || this.#head.hasBody) return false;
    const method = this.req.method;
    return (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') && (this.#tried?.length ?? 0) < 1;
  }
}
