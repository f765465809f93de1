import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Color } from '../core/types.ts';
import { upstreamRequestHead } from './hop-by-hop.ts';
import { BAD_TARGET_MESSAGE, requestTarget } from './request-target.ts';
import type { ListenerName } from './router-metrics.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import { isConnectFailure, type UpstreamReplica } from './upstream-replica.ts';

/** Writes a minimal HTTP error on a socket that asked for an upgrade, then closes it. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, text: string, extraHeaders = ''): void {
  if (socket.destroyed) return;
  const body = Buffer.from(`${text}\n`, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
      `${extraHeaders}Connection: close\r\n\r\n${body.toString('utf8')}`,
  );
}

/**
 * An upgraded connection (normally a WebSocket) piped byte for byte between a client and
 * one replica. The router does not parse frames: after the upstream's `101` everything is
 * opaque, which keeps the hot path a pair of pipes.
 */
export class WebSocketTunnel {
  readonly color: Color;
  readonly listener: ListenerName;
  readonly #client: Duplex;
  #upstream: Socket | null = null;
  #closed = false;
  readonly #onClosed: (tunnel: WebSocketTunnel) => void;

  constructor(color: Color, listener: ListenerName, client: Duplex, onClosed: (tunnel: WebSocketTunnel) => void) {
    this.color = color;
    this.listener = listener;
    this.#client = client;
    this.#onClosed = onClosed;
    client.on('error', () => this.close());
    client.on('close', () => this.close());
  }

  /**
   * Connects to a replica of `pool` and relays the upgrade request, trying the next replica
   * when one refuses the connection. Answers 502 on the client socket when none accepts.
   * `trustedPeer`: the client is a proxy of router.trustedProxies, whose forwarded headers are
   * appended to, exactly as for a plain request. An absolute-form target is rewritten as for a
   * plain request (its path is sent, its authority replaces Host), a `ws://` one too; any
   * other non-path gets 400.
   */
  open(req: IncomingMessage, head: Buffer, pool: UpstreamPool, trustedPeer = false): void {
    const target = requestTarget(req.url, true);
    if (target === null) {
      refuseUpgrade(this.#client, 400, 'Bad Request', BAD_TARGET_MESSAGE);
      this.close();
      return;
    }
    const { headers } = upstreamRequestHead(req.rawHeaders, req.socket.remoteAddress, true, { trustedPeer, hostOverride: target.host });
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
      this.close();
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.off('error', onConnectError);
      if (this.#closed) {
        upstream.destroy();
        return;
      }
      upstream.on('error', () => this.close());
      upstream.on('close', () => this.close());
      upstream.write(requestHead);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(this.#client);
      this.#client.pipe(upstream);
    });
  }

  /** Closes both sides at once. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream?.destroy();
    this.#client.destroy();
    this.#onClosed(this);
  }
}
