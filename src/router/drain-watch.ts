import type { Color } from '../core/types.ts';
import type { ProxyExchange } from './proxy-request.ts';
import type { WebSocketTunnel } from './websocket-proxy.ts';

/** How the requests and WebSockets left on a color after a switch ended. */
export interface DrainReport {
  color: Color;
  /** Requests that finished on their own (including ones whose client went away). */
  completed: number;
  /**
   * Requests still running at the drain timeout: answered 504, ended (an event stream whose
   * response had started), or cut (any other response that had started).
   */
  timedOut: number;
  /**
   * Upgraded connections (main listener) that were open on the color at the switch: closed by
   * either end before the timeout, or sent a 1001 close frame at it. Engines that do not drain
   * them leave this out.
   */
  websockets?: { completed: number; goingAway: number };
  durationMs: number;
}

/**
 * Waits for the requests and WebSockets that were open on a color when traffic moved away
 * from it. Each belongs to at most one drain; whatever is left at the deadline is abandoned
 * (requests) or told to go away (WebSockets, which the drain then waits for: they close within
 * a short grace).
 */
export class DrainWatch {
  readonly color: Color;
  readonly done: Promise<DrainReport>;
  readonly #pending = new Set<ProxyExchange>();
  readonly #tunnels = new Set<WebSocketTunnel>();
  /** Tunnels told to go away at the deadline and not closed yet. */
  readonly #closing = new Set<WebSocketTunnel>();
  readonly #startedAt = performance.now();
  readonly #timeoutMs: number;
  #completed = 0;
  #timedOut = 0;
  #tunnelsCompleted = 0;
  #tunnelsGoingAway = 0;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  #resolve!: (report: DrainReport) => void;

  constructor(color: Color, inFlight: Iterable<ProxyExchange>, tunnels: Iterable<WebSocketTunnel>, timeoutMs: number) {
    this.color = color;
    this.#timeoutMs = timeoutMs;
    this.done = new Promise((resolve) => { this.#resolve = resolve; });
    for (const exchange of inFlight) {
      if (exchange.drain !== null || exchange.done) continue;
      exchange.drain = this;
      this.#pending.add(exchange);
    }
    for (const tunnel of tunnels) {
      if (tunnel.drain !== null || tunnel.done) continue;
      tunnel.drain = this;
      this.#tunnels.add(tunnel);
    }
    if (this.#pending.size === 0 && this.#tunnels.size === 0) {
      this.#end();
      return;
    }
    this.#timer = setTimeout(() => this.expire(), timeoutMs);
  }

  /** Called when a request or WebSocket of this drain finished (by itself, or after going away). */
  settle(item: ProxyExchange | WebSocketTunnel): void {
    if (this.#pending.delete(item as ProxyExchange)) this.#completed++;
    else if (this.#tunnels.delete(item as WebSocketTunnel)) this.#tunnelsCompleted++;
    else if (!this.#closing.delete(item as WebSocketTunnel)) return;
    if (this.#pending.size === 0 && this.#tunnels.size === 0 && this.#closing.size === 0) this.#end();
  }

  /** Abandons everything still pending (at the deadline, or when the router closes). Idempotent. */
  expire(): void {
    const left = [...this.#pending];
    this.#pending.clear();
    this.#timedOut += left.length;
    for (const exchange of left) exchange.abandonForDrain(this.#timeoutMs);
    const tunnels = [...this.#tunnels];
    this.#tunnels.clear();
    this.#tunnelsGoingAway += tunnels.length;
    for (const tunnel of tunnels) this.#closing.add(tunnel);
    for (const tunnel of tunnels) tunnel.goAway();
    if (this.#closing.size === 0) this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#resolve({
      color: this.color,
      completed: this.#completed,
      timedOut: this.#timedOut,
      websockets: { completed: this.#tunnelsCompleted, goingAway: this.#tunnelsGoingAway },
      durationMs: Math.round(performance.now() - this.#startedAt),
    });
  }
}
