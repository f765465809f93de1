import type { Clock } from '../../src/core/deps.ts';

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * A clock for deterministic tests of time-driven code: `sleep` waits on virtual time, and
 * `run` advances that time to the next timer whenever the code under test has nothing
 * else to do. A 5-minute analysis finishes in milliseconds, and every timestamp is exact.
 */
export class VirtualClock implements Clock {
  private current: number;
  /** How far the wall clock (now) has been stepped away from the monotonic reading. */
  private wallOffset = 0;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current + this.wallOffset;
  }

  /** Virtual time as a monotonic reading: timers run on it, and wall-clock steps leave it alone. */
  monotonic(): number {
    return this.current;
  }

  /** Steps the wall clock (now) by `deltaMs`, as NTP or an operator might; timers and monotonic() are unmoved. */
  stepWallClock(deltaMs: number): void {
    this.wallOffset += deltaMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      // The listener goes when the timer wakes, as the system clock's does: a loop sleeping on
      // one long-lived signal would otherwise pile them up.
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How many sleeps are waiting on virtual time. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Settles `work`, moving virtual time forward only when nothing is runnable. Real I/O in
   * flight is not "runnable", so code that sleeps beside a socket read (a deadline) would see
   * its deadline pass at once: `mayAdvance` holds time still until it says the I/O is done,
   * e.g. `() => clock.pending >= 2` for a loop that waits between rounds beside its deadline.
   */
  async run<T>(work: Promise<T>, mayAdvance: () => boolean = () => true): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled || this.timers.length === 0) continue;
      if (!mayAdvance()) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.current = Math.max(this.current, next.at);
      next.wake();
    }
    return watched;
  }
}
