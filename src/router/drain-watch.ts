import type { Color } from '../core/types.ts';
import type { ProxyExchange } from './proxy-request.ts';

/** How the requests left on a color after a switch ended. */
export interface DrainReport {
  color: Color;
  /** Requests that finished on their own (including ones whose client went away). */
  completed: number;
  /** Requests still running at the drain timeout: answered 504, or cut if their response had started. */
  timedOut: number;
  durationMs: number;
}

/**
 * Waits for the requests that were in flight on a color when traffic moved away from it.
 * Each exchange belongs to at most one drain; whatever is left at the deadline is abandoned.
 */
export class DrainWatch {
  readonly color: Color;
  readonly done: Promise<DrainReport>;
  readonly #pending = new Set<ProxyExchange>();
  readonly #startedAt = performance.now();
  readonly #timeoutMs: number;
  #completed = 0;
  #timedOut = 0;
  #timer: NodeJS.Timeout | null = null;
  #resolve!: (report: DrainReport) => void;

  constructor(color: Color, inFlight: Iterable<ProxyExchange>, timeoutMs: number) {
    this.color = color;
    this.#timeoutMs = timeoutMs;
    this.done = new Promise((resolve) => { this.#resolve = resolve; });
    for (const exchange of inFlight) {
      if (exchange.drain !== null || exchange.done) continue;
      exchange.drain = this;
      this.#pending.add(exchange);
    }
    if (this.#pending.size === 0) {
      this.#end();
      return;
    }
    this.#timer = setTimeout(() => this.expire(), timeoutMs);
  }

  /** Called when an exchange of this drain finished by itself. */
  settle(exchange: ProxyExchange): void {
    if (!this.#pending.delete(exchange)) return;
    this.#completed++;
    if (this.#pending.size === 0) this.#end();
  }

  /** Abandons everything still pending (at the deadline, or when the router closes). Idempotent. */
  expire(): void {
    const left = [...this.#pending];
    this.#pending.clear();
    this.#timedOut += left.length;
    for (const exchange of left) exchange.abandonForDrain(this.#timeoutMs);
    this.#end();
  }

  #end(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#resolve({
      color: this.color,
      completed: this.#completed,
      timedOut: this.#timedOut,
      durationMs: Math.round(performance.now() - this.#startedAt),
    });
  }
}
