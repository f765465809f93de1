import type { Clock } from './deps.ts';
import { systemClock } from './deps.ts';

export interface PollOptions {
  /** Time between two asks, on `clock`. */
  readonly intervalMs: number;
  /** Give up after this long on `clock` (Infinity: never). */
  readonly timeoutMs: number;
  readonly clock?: Clock;
  /** Stops the wait early; the poll then returns undefined. */
  readonly signal?: AbortSignal;
}

/**
 * Asks `probe` until it answers something other than undefined, waiting `intervalMs` on the
 * clock between asks. The first ask is at once. The one way for the CLI and the drivers to wait
 * for something outside cutover (a daemon to answer, a process to exit), so a test's virtual
 * clock moves every such wait.
 * @returns what `probe` answered, or undefined once `timeoutMs` has passed (or on abort).
 * @throws what `probe` throws.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, options: PollOptions): Promise<T | undefined> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    if (options.signal?.aborted || clock.now() >= deadline) return undefined;
    await clock.sleep(Math.min(options.intervalMs, Math.max(0, deadline - clock.now())), options.signal);
  }
}
