import { connect } from 'node:net';
import { Pool } from 'undici';
import { earlyResponseConnector } from './early-response-socket.ts';

/** Connection settings shared by every replica's keep-alive pool. */
export interface ReplicaPoolOptions {
  /** Most open connections to one replica; more requests wait in undici's queue. */
  connections: number;
  /** Upstream must send response headers within this time; 0 disables. */
  headersTimeoutMs: number;
  /** Longest silence allowed inside a response body; 0 disables (long polls, SSE). */
  bodyTimeoutMs: number;
}

/** Errors that mean nothing is listening (or reachable) at the replica's address. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECT_FAILURES.has(code);
}

/**
 * How long an idle upstream connection is reused when the app's answers carry no
 * `Keep-Alive: timeout=N` (with one, undici goes by it, less 2 s). undici's own 4 s outlasts
 * servers that close idle connections sooner without saying so (gunicorn: 2 s), and a request
 * sent as such a server closes is reset: a POST cannot be sent again and got a 502. Under load
 * a connection is never idle this long, so the shorter reuse costs only a loopback connect.
 */
const UNHINTED_KEEP_ALIVE_MS = 1_000;

const FIRST_PROBE_DELAY_MS = 100;
const MAX_PROBE_DELAY_MS = 2_000;
const PROBE_CONNECT_TIMEOUT_MS = 1_000;

/**
 * One upstream process: a keep-alive pool to its address, a count of requests in flight
 * and whether it accepts connections. A replica that refused a connection is ejected and
 * probed with plain TCP connects, backing off from 100 ms to 2 s, until one succeeds.
 */
export class UpstreamReplica {
  readonly origin: string;
  readonly dispatcher: Pool;
  inFlight = 0;
  #healthy = true;
  #probe: NodeJS.Timeout | null = null;
  #probeDelayMs = FIRST_PROBE_DELAY_MS;
  #closed = false;
  readonly #host: string;
  readonly #port: number;

  constructor(origin: string, options: ReplicaPoolOptions) {
    this.origin = origin;
    const url = new URL(origin);
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(url.port || 80);
    this.dispatcher = new Pool(origin, {
      connections: options.connections,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: UNHINTED_KEEP_ALIVE_MS,
      connect: earlyResponseConnector(),
    });
  }

  get host(): string {
    return this.#host;
  }

  get port(): number {
    return this.#port;
  }

  /** False from a refused connection until a probe connects again. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Ejects the replica and starts probing it. Idempotent while already ejected. */
  markUnreachable(): void {
    if (!this.#healthy || this.#closed) return;
    this.#healthy = false;
    this.#probeDelayMs = FIRST_PROBE_DELAY_MS;
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    this.#probe = setTimeout(() => this.#runProbe(), this.#probeDelayMs);
    this.#probe.unref();
  }

  #runProbe(): void {
    this.#probe = null;
    if (this.#closed) return;
    const socket = connect({ host: this.#host, port: this.#port, timeout: PROBE_CONNECT_TIMEOUT_MS });
    const settle = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      if (this.#closed) return;
      if (ok) {
        this.#healthy = true;
        return;
      }
      this.#probeDelayMs = Math.min(this.#probeDelayMs * 2, MAX_PROBE_DELAY_MS);
      this.#scheduleProbe();
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  }

  /** Lets requests in flight finish, then closes the pool's connections. Idempotent. */
  async close(): Promise<void> {
    this.#stopProbing();
    if (this.dispatcher.closed || this.dispatcher.destroyed) return;
    await this.dispatcher.close();
  }

  /** Closes the pool at once, failing whatever is in flight. Idempotent. */
  async destroy(): Promise<void> {
    this.#stopProbing();
    if (this.dispatcher.destroyed) return;
    await this.dispatcher.destroy();
  }

  #stopProbing(): void {
    this.#closed = true;
    if (this.#probe !== null) clearTimeout(this.#probe);
    this.#probe = null;
  }
}
