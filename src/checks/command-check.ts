import { formatDuration } from '../config/duration.ts';
import type { Color } from '../core/types.ts';
import { runInProcessGroup } from '../process/run-in-process-group.ts';
import type { CheckResult, CheckTarget, CommandCheckSpec } from './types.ts';

const OUTPUT_LIMIT_BYTES = 4 * 1024;
const KILL_GRACE_MS = 2_000;

export interface CommandCheckOptions {
  signal?: AbortSignal;
  /** Passed as CUTOVER_COLOR (empty when unknown). */
  color?: Color;
  /** Extra environment on top of the inherited one. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs the check's argv (no shell) in its own process group with CUTOVER_TARGET_URL and
 * CUTOVER_COLOR set. Exit 0 is healthy; otherwise the reason carries the exit code and the last
 * line the command printed. A timeout kills the whole group. Never throws.
 */
export async function runCommandCheck(
  spec: CommandCheckSpec,
  target: CheckTarget,
  options: CommandCheckOptions = {},
): Promise<CheckResult> {
  const base = { check: spec.name, target: target.name, url: target.url };
  const [file, ...args] = spec.argv;
  const run = await runInProcessGroup({
    file,
    args,
    cwd: spec.cwd,
    env: { ...process.env, ...options.env, CUTOVER_TARGET_URL: target.url, CUTOVER_COLOR: options.color ?? '' },
    timeoutMs: spec.timeoutMs,
    signal: options.signal,
    outputLimitBytes: OUTPUT_LIMIT_BYTES,
    killGraceMs: KILL_GRACE_MS,
  });
  const latencyMs = run.durationMs;
  if (run.exitCode === 0 && !run.timedOut && !run.stopped) return { ...base, ok: true, latencyMs };

  let reason: string;
  if (run.startError !== undefined) reason = run.startError;
  else if (run.timedOut) reason = `no result within ${formatDuration(spec.timeoutMs)} (killed)`;
  else if (run.stopped) reason = `stopped after ${formatDuration(latencyMs)}`;
  else if (run.exitCode !== null) reason = `exit ${run.exitCode}`;
  else reason = `killed by ${run.signal ?? 'a signal'}`;
  if (run.lastLine !== undefined && run.startError === undefined) reason += `: ${run.lastLine}`;
  return { ...base, ok: false, latencyMs, reason };
}
