import { systemClock, type Clock } from '../core/deps.ts';
import { formatDuration } from '../config/duration.ts';
import { checkOnce, describeFailures } from './health-round.ts';
import type { CheckResult, CheckRunOptions, CheckTarget, HealthPolicy, HealthReport, HealthRound } from './types.ts';

export interface WaitHealthyOptions extends CheckRunOptions {
  /** Called after every completed round, e.g. to update a spinner. */
  onRound?: (round: HealthRound) => void;
  /** Overrides policy.timeoutMs. */
  timeoutMs?: number;
  /** Paces the rounds and bounds the timeout; the system clock unless a test injects one. */
  clock?: Clock;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Runs rounds of checks (every check against every target) every `policy.intervalMs` until
 * `policy.successes` rounds in a row pass, or `policy.timeoutMs` runs out, or `signal` aborts.
 * A failing round resets the count. A round still running when time runs out is cut short.
 * Returns a report either way: an unhealthy result is data, never an exception. Not idempotent
 * in the strict sense (it probes live systems) but safe to repeat.
 */
export async function waitHealthy(
  targets: readonly CheckTarget[],
  policy: HealthPolicy,
  options: WaitHealthyOptions = {},
): Promise<HealthReport> {
  const clock = options.clock ?? systemClock;
  // Rounds are timed on the monotonic reading: a wall-clock step must not stretch a pause or the duration.
  const started = clock.monotonic();
  const elapsed = () => Math.round(clock.monotonic() - started);
  const timeoutMs = options.timeoutMs ?? policy.timeoutMs;
  const checksPerRound = targets.length * policy.checks.length;

  if (checksPerRound === 0) {
    const missing = targets.length === 0 ? 'no targets to check' : 'no health checks configured';
    return { healthy: false, rounds: 0, consecutive: 0, durationMs: 0, last: [], summary: `not checked: ${missing}` };
  }

  // The timeout is a sleep on the clock, so it can cut a hanging round short on virtual time too;
  // `finished` ends that sleep once the rounds are over.
  const deadline = new AbortController();
  const finished = new AbortController();
  void clock.sleep(timeoutMs, finished.signal).then(() => { if (!finished.signal.aborted) deadline.abort(); });
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  const runOptions: CheckRunOptions = { signal, color: options.color, env: options.env };

  let rounds = 0;
  let consecutive = 0;
  let last: CheckResult[] = [];
  try {
    for (;;) {
      const roundStarted = clock.monotonic();
      const results = await checkOnce(targets, policy, runOptions);
      const ok = results.every((result) => result.ok);
      // A healthy round that finished as time ran out still counts; a failing one was cut short.
      if (signal.aborted && !ok) {
        if (rounds === 0) last = results;
        break;
      }
      rounds += 1;
      last = results;
      consecutive = ok ? consecutive + 1 : 0;
      options.onRound?.({ round: rounds, ok, consecutive, results, elapsedMs: elapsed() });
      if (consecutive >= policy.successes) {
        const durationMs = elapsed();
        return {
          healthy: true,
          rounds,
          consecutive,
          durationMs,
          last,
          summary: `${consecutive}/${policy.successes} consecutive rounds healthy on ${plural(targets.length, 'replica')} `
            + `(${plural(checksPerRound, 'check')} each) in ${formatDuration(durationMs)}`,
        };
      }
      const pause = policy.intervalMs - (clock.monotonic() - roundStarted);
      if (pause > 0) await clock.sleep(pause, signal);
      if (signal.aborted) break;
    }
  } finally {
    finished.abort();
  }

  const durationMs = elapsed();
  const stoppedByCaller = options.signal?.aborted === true;
  const head = stoppedByCaller
    ? `health checks stopped after ${formatDuration(durationMs)}`
    : `unhealthy after ${formatDuration(Math.min(durationMs, timeoutMs))}`;
  const failures = describeFailures(last);
  const detail = failures !== ''
    ? failures
    : `${consecutive}/${policy.successes} consecutive healthy rounds when time ran out`;
  return { healthy: false, rounds, consecutive, durationMs, last, summary: `${head}: ${detail}` };
}
