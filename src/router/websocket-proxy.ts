import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Color } from '../core/types.ts';
import { upstreamRequestHead } from './hop-by-hop.ts';
import { BAD_TARGET_MESSAGE, requestTarget } from './request-target.ts';
import { CLIENT_CLOSED_STATUS } from './proxy-request.ts';
import type { ListenerName, TrafficCounters } from './router-metrics.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import { isConnectFailure, type UpstreamReplica } from './upstream-replica.ts';
import { CLOSE_GOING_AWAY, closeFrame, FrameBoundaries } from './websocket-frames.ts';

/** Writes a minimal HTTP error on a socket that asked for an upgrade, then closes it. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, text: string, extraHeaders = ''): void {
  if (socket.destroyed) return;
  const body = Buffer.from(`${text}\n`, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
      `${extraHeaders}Connection: close\r\n\r\n${body.toString('utf8')}`,
  );
}

/** How long a tunnel told to go away may take to reach a frame boundary and finish closing before it is cut. */
const GOING_AWAY_GRACE_MS = 2_000;
/** An answer to an upgrade whose head is longer than this is relayed without looking at it further. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
const SWITCHING_PROTOCOLS = /^HTTP\/1\.[01] 101[ \r]/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

/**
 * An upgraded connection (normally a WebSocket) relayed between a client and one replica.
 * The router does not decode messages: after the upstream's `101` it only follows where each
 * frame ends (see websocket-frames.ts), so that when its color is drained away it can stop
 * both directions between frames and close each side with a 1001 close frame instead of
 * cutting the TCP connection, which clients report as 1006.
 */
export class WebSocketTunnel {
  readonly color: Color;
  readonly listener: ListenerName;
  /** The drain that waits for this tunnel, if a switch moved traffic away from its color. */
  drain: { settle(tunnel: WebSocketTunnel): void } | null = null;
  readonly #client: Duplex;
  #upstream: Socket | null = null;
  #closed = false;
  readonly #onClosed: (tunnel: WebSocketTunnel) => void;
  #isWebSocketRequest = false;
  /** The upstream's answer to the upgrade, gathered until its head ends; null once it has. */
  #responseHead: Buffer | null = Buffer.alloc(0);
  /** Frames towards the client, once the upstream answered 101 to a WebSocket upgrade. */
  #toClient: FrameBoundaries | null = null;
  readonly #toUpstream = new FrameBoundaries();
  #goingAway = false;
  /** Set by `goAwayOnceOpen` while the upgrade is still being answered. */
  #goAwayOnOpen = false;
  #clientCloseSent = false;
  #upstreamCloseSent = false;
  #clientGone = false;
  #upstreamGone = false;
  #graceTimer: NodeJS.Timeout | null = null;
  #closeWaiters: Array<() => void> | null = null;
  readonly #resumeUpstream = () => this.#upstream?.resume();
  readonly #resumeClient = () => this.#client.resume();
  /**
   * The (color, listener) counters the upgrade is counted in as one request, as a plain
   * request is: in flight from `open` until the upstream's answer head (a 101, or an error
   * such as a 503), then recorded with that status and the time it took, so that a color
   * failing its handshakes shows up in the 5xx rate and latency like any other failure.
   */
  readonly #counters: TrafficCounters;
  #handshakeStartedAt = 0;
  #handshakeCounted = true;

  constructor(color: Color, listener: ListenerName, client: Duplex, counters: TrafficCounters, onClosed: (tunnel: WebSocketTunnel) => void) {
    this.color = color;
    this.listener = listener;
    this.#client = client;
    this.#counters = counters;
    this.#onClosed = onClosed;
    client.on('error', () => this.close());
    client.on('close', () => this.#clientClosed());
  }

  /** True once both sides are closed. */
  get done(): boolean {
    return this.#closed;
  }

  /** Calls `callback` once both sides are closed (at once if they are). */
  whenClosed(callback: () => void): void {
    if (this.#closed) callback();
    else (this.#closeWaiters ??= []).push(callback);
  }

  /**
   * Connects to a replica of `pool` and relays the upgrade request, trying the next replica
   * when one refuses the connection. Answers 502 on the client socket when none accepts.
   * `trustedPeer`: the client is a proxy of router.trustedProxies, whose forwarded headers are
   * appended to, exactly as for a plain request. An absolute-form target is rewritten as for a
   * plain request (its path is sent, its authority replaces Host), a `ws://` one too; any
   * other non-path gets 400. `forwardedAsSent`: the client is cutover's own HAProxy, which
   * already wrote the forwarded headers (UpstreamHeadOptions.forwardedAsSent).
   */
  open(req: IncomingMessage, head: Buffer, pool: UpstreamPool, trustedPeer = false, forwardedAsSent = false): void {
    this.#counters.inFlight++;
    this.#handshakeStartedAt = performance.now();
    this.#handshakeCounted = false;
    this.#isWebSocketRequest = /\bwebsocket\b/i.test(String(req.headers.upgrade ?? ''));
    const target = requestTarget(req.url, true);
    if (target === null) {
      refuseUpgrade(this.#client, 400, 'Bad Request', BAD_TARGET_MESSAGE);
      this.#countHandshake(400);
      this.close();
      return;
    }
    const { headers } = upstreamRequestHead(req.rawHeaders, req.socket.remoteAddress, true, { trustedPeer, forwardedAsSent, hostOverride: target.host });
    let requestHead = `${req.method} ${target.path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) requestHead += `${headers[i]}: ${headers[i + 1]}\r\n`;
    requestHead += '\r\n';
    this.#connect(requestHead, head, pool, []);
  }

  #connect(requestHead: string, head: Buffer, pool: UpstreamPool, tried: UpstreamReplica[]): void {
    if (this.#closed) return;
    const replica = pool.pick(tried);
    if (replica === null) {
      refuseUpgrade(this.#client, 502, 'Bad Gateway', tried.length === 0
        ? `bad gateway: ${this.color} has no upstreams`
        : `bad gateway: no ${this.color} replica accepted the connection (${tried.length} tried)`);
      this.#countHandshake(502, true);
      this.close();
      return;
    }
    const upstream = connect({ host: replica.host, port: replica.port, noDelay: true });
    this.#upstream = upstream;
    const onConnectError = (err: Error) => {
      upstream.destroy();
      this.#upstream = null;
      if (isConnectFailure(err)) {
        replica.markUnreachable();
        this.#connect(requestHead, head, pool, [...tried, replica]);
        return;
      }
      refuseUpgrade(this.#client, 502, 'Bad Gateway', `bad gateway: a ${this.color} replica failed: ${(err as { code?: string }).code ?? 'error'}`);
      this.#countHandshake(502, true);
      this.close();
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.off('error', onConnectError);
      if (this.#closed) {
        upstream.destroy();
        return;
      }
      // Gone before it answered the upgrade: for the client, a 502 (see #countHandshake).
      upstream.on('error', () => { this.#countHandshake(502, true); this.close(); });
      upstream.on('close', () => { this.#countHandshake(502, true); this.#upstreamClosed(); });
      upstream.write(requestHead);
      if (head.length > 0) this.#fromClient(head);
      upstream.on('data', (chunk: Buffer) => this.#fromUpstream(chunk));
      this.#client.on('data', (chunk: Buffer) => this.#fromClient(chunk));
    });
  }

  #fromUpstream(chunk: Buffer): void {
    // After our close frame nothing more may reach the client.
    if (this.#clientCloseSent) return;
    let start = 0;
    if (this.#responseHead !== null) start = this.#readResponseHead(chunk);
    let end = chunk.length;
    const frames = this.#toClient;
    if (frames !== null && start < end) {
      end = this.#goingAway && frames.atBoundary ? start : frames.advance(chunk, start, this.#goingAway);
    }
    const upstream = this.#upstream!;
    if (end > 0 && !this.#client.write(end === chunk.length ? chunk : chunk.subarray(0, end)) && !upstream.isPaused()) {
      upstream.pause();
      this.#client.once('drain', this.#resumeUpstream);
    }
    if (this.#goingAway && frames?.atBoundary) this.#sendClientClose();
    // The 101 (and whatever followed it) has been relayed, so a close frame may follow now.
    else if (this.#goAwayOnOpen && frames !== null && !this.#goingAway) this.goAway();
  }

  #fromClient(chunk: Buffer): void {
    if (this.#upstreamCloseSent) return;
    // Followed from the first byte even before the upstream's 101: the client's frames start there.
    const frames = this.#toUpstream;
    let end = chunk.length;
    if (this.#goingAway) end = frames.atBoundary ? 0 : frames.advance(chunk, 0, true);
    else frames.advance(chunk, 0, false);
    const upstream = this.#upstream!;
    if (end > 0 && !upstream.write(end === chunk.length ? chunk : chunk.subarray(0, end)) && !this.#client.isPaused()) {
      this.#client.pause();
      upstream.once('drain', this.#resumeClient);
    }
    if (this.#goingAway && frames.atBoundary) this.#sendUpstreamClose();
  }

  /** Follows the upstream's answer head; returns where in `chunk` the bytes after it begin. */
  #readResponseHead(chunk: Buffer): number {
    const before = this.#responseHead!;
    const seen = before.length === 0 ? chunk : Buffer.concat([before, chunk]);
    const end = seen.indexOf('\r\n\r\n');
    if (end === -1) {
      this.#responseHead = seen.length > MAX_RESPONSE_HEAD_BYTES ? null : seen;
      if (this.#responseHead === null) this.#countAnswer(seen);
      return chunk.length;
    }
    this.#responseHead = null;
    this.#countAnswer(seen);
    if (this.#isWebSocketRequest && SWITCHING_PROTOCOLS.test(seen.toString('latin1', 0, Math.min(end + 2, 64)))) {
      this.#toClient = new FrameBoundaries();
    }
    return end + 4 - before.length;
  }

  /**
   * The drain timeout of this tunnel's color passed: each direction is stopped at its next
   * frame boundary and given a 1001 close frame, the client's so that it reconnects (to the
   * live color) and the app's so that it sees a clean close. Anything that is not an
   * established WebSocket is cut. Whatever has not finished closing after a short grace is
   * cut too. Idempotent.
   */
  goAway(): void {
    if (this.#closed || this.#goingAway) return;
    // Still waiting for the upstream's answer at a drain deadline: what a plain request gets then.
    this.#countHandshake(504);
    if (this.#toClient === null || this.#upstream === null) {
      this.close();
      return;
    }
    this.#goingAway = true;
    this.#graceTimer = setTimeout(() => this.close(), GOING_AWAY_GRACE_MS);
    if (this.#toClient.atBoundary) this.#sendClientClose();
    if (this.#toUpstream.atBoundary) this.#sendUpstreamClose();
  }

  /**
   * As `goAway`, for a router that stops serving (a daemon handing over to a new one): an
   * established WebSocket goes away now; one whose upgrade is still being answered goes away
   * once the upstream's 101 has reached the client, instead of being cut mid-handshake. Other
   * upgraded connections are left to end by themselves. Idempotent.
   */
  goAwayOnceOpen(): void {
    if (this.#closed || this.#goingAway) return;
    if (this.#toClient !== null && this.#upstream !== null) this.goAway();
    else if (this.#responseHead !== null) this.#goAwayOnOpen = true;
  }

  #sendClientClose(): void {
    if (this.#clientCloseSent) return;
    this.#clientCloseSent = true;
    // Ended right after the frame: the client answers with its own close frame and closes, and
    // that answer is read and dropped (the app was told separately).
    this.#client.end(closeFrame(CLOSE_GOING_AWAY, 'going away', false));
    this.#client.resume();
  }

  #sendUpstreamClose(): void {
    if (this.#upstreamCloseSent) return;
    this.#upstreamCloseSent = true;
    const upstream = this.#upstream!;
    upstream.end(closeFrame(CLOSE_GOING_AWAY, 'going away', true));
    upstream.resume();
  }

  #clientClosed(): void {
    this.#clientGone = true;
    // While going away, the app's side may still be finishing its closing handshake.
    if (this.#goingAway && !this.#upstreamGone && this.#upstreamCloseSent) return;
    this.close();
  }

  #upstreamClosed(): void {
    this.#upstreamGone = true;
    if (this.#goingAway && !this.#clientGone && this.#clientCloseSent) return;
    this.close();
  }

  /** The upstream's answer head (or its start) has come: the handshake is counted with its status. */
  #countAnswer(head: Buffer): void {
    const status = STATUS_LINE.exec(head.toString('latin1', 0, Math.min(head.length, 16)));
    this.#countHandshake(status ? Number(status[1]) : 502, status === null);
  }

  /** Counts the handshake once, as ProxyExchange counts a request: `upstreamError` for a 502 the upstream caused. */
  #countHandshake(status: number, upstreamError = false): void {
    if (this.#handshakeCounted) return;
    this.#handshakeCounted = true;
    const counters = this.#counters;
    counters.inFlight--;
    if (upstreamError) counters.upstreamErrors++;
    counters.record(status, (performance.now() - this.#handshakeStartedAt) / 1000);
  }

  /** Closes both sides at once. Idempotent. */
  close(): void {
    if (this.#closed) return;
    // Closed before any answer came, and not by the upstream (counted where it went): the client went away.
    this.#countHandshake(CLIENT_CLOSED_STATUS);
    this.#closed = true;
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#upstream?.destroy();
    this.#client.destroy();
    this.#onClosed(this);
    this.drain?.settle(this);
    if (this.#closeWaiters !== null) for (const callback of this.#closeWaiters) callback();
  }
}
