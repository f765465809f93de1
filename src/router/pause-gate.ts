/**
 * Holds new work while the router is paused. Each held item is released when `unpause()`
 * is called or when it has waited `maxPauseMs`, whichever comes first, so no request waits
 * longer than that even if nobody unpauses.
 */
export class PauseGate {
  readonly maxPauseMs: number;
  #paused = false;
  readonly #held = new Map<() => void, NodeJS.Timeout>();

  constructor(maxPauseMs: number) {
    this.maxPauseMs = maxPauseMs;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** How many items are waiting. */
  get held(): number {
    return this.#held.size;
  }

  /** Idempotent. */
  pause(): void {
    this.#paused = true;
  }

  /** Releases everything held, in arrival order. Idempotent. */
  unpause(): void {
    this.#paused = false;
    this.releaseAll();
  }

  /** Queues `release` to run at unpause or after maxPauseMs. */
  hold(release: () => void): void {
    const timer = setTimeout(() => {
      this.#held.delete(release);
      release();
    }, this.maxPauseMs);
    this.#held.set(release, timer);
  }

  /** Runs every held release now, without changing the paused flag. */
  releaseAll(): void {
    const waiting = [...this.#held];
    this.#held.clear();
    for (const [release, timer] of waiting) {
      clearTimeout(timer);
      release();
    }
  }
}
