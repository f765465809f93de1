import { resolve } from 'node:path';
import { formatDuration, parseDurationOr } from '../../config/duration.ts';
import { describeError, errorMeasurement, valueMeasurement } from '../measurement.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../provider.ts';
import { runInProcessGroup } from '../../process/run-in-process-group.ts';
import { renderTemplate } from '../template.ts';
import type { CommandQuery } from './command-query.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_STDOUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 2 * 1024;

export interface CommandProviderOptions {
  /** Directory relative `cwd`s resolve against: the config file's. */
  baseDir: string;
  /** The environment commands inherit (the CLI passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a program (argv, no shell) once per reading. It gets CUTOVER_APP, CUTOVER_COLOR,
 * CUTOVER_VERSION, CUTOVER_WINDOW_SECONDS and, when known, CUTOVER_TARGET_URL. The value is
 * the number on the last non-empty line of stdout, or the exit code with `value: exit-code`.
 * A program that outlives its timeout is killed with its whole process group.
 */
export class CommandProvider implements MetricProvider<CommandQuery> {
  readonly kind = 'command';

  constructor(private readonly options: CommandProviderOptions) {}

  async measure(query: CommandQuery, ctx: MeasureContext, signal?: AbortSignal): Promise<Measurement> {
    const startedAt = Date.now();
    try {
      const argv = query.run.map((arg) => renderTemplate(arg, ctx));
      const timeoutMs = parseDurationOr(query.timeout, DEFAULT_TIMEOUT_MS);
      const env: Record<string, string | undefined> = {
        ...this.options.env,
        ...query.env,
        CUTOVER_APP: ctx.app,
        CUTOVER_COLOR: ctx.color,
        CUTOVER_VERSION: ctx.version,
        CUTOVER_WINDOW_SECONDS: String(ctx.windowMs / 1_000),
      };
      if (ctx.targetUrl) env.CUTOVER_TARGET_URL = ctx.targetUrl;
      const cwd = resolve(this.options.baseDir, query.cwd ?? '.');
      const result = await runProgram(argv, { cwd, env, timeoutMs, signal });
      const name = argv.join(' ');
      if (signal?.aborted) return errorMeasurement(startedAt, 'reading was aborted');
      if (result.timedOut) return errorMeasurement(startedAt, `\`${name}\` did not finish within ${formatDuration(timeoutMs)} and was killed`);
      if (result.code === null) return errorMeasurement(startedAt, `\`${name}\` was killed by ${result.signal}${tail(result.stderr)}`);
      if (query.value === 'exit-code') {
        return valueMeasurement(startedAt, result.code, { message: `\`${name}\` exited ${result.code}${tail(result.stderr)}` });
      }
      if (result.code !== 0) return errorMeasurement(startedAt, `\`${name}\` exited ${result.code}${tail(result.stderr)}`);
      const lastLine = result.stdout.trimEnd().split('\n').at(-1)?.trim() ?? '';
      const value = lastLine === '' ? NaN : Number(lastLine);
      if (!Number.isFinite(value)) {
        return errorMeasurement(startedAt, `\`${name}\` printed "${lastLine.slice(0, 80)}" last; expected a number on the last line of stdout`);
      }
      return valueMeasurement(startedAt, value);
    } catch (err) {
      return errorMeasurement(startedAt, describeError(err));
    }
  }
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text ? `: ${text.slice(-300)}` : '';
}

/**
 * Runs the program in its own process group, so a timeout also ends whatever it started;
 * killed at once (no grace) on timeout or abort, as a reading has nothing to save.
 */
async function runProgram(
  argv: string[],
  options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number; signal?: AbortSignal },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const run = await runInProcessGroup({
    file: argv[0]!,
    args: argv.slice(1),
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    killGraceMs: 0,
    // The streams are collected apart below (the value is on stdout, the reason on stderr).
    outputLimitBytes: 0,
    onOutput: (chunk, stream) => {
      if (stream === 'stdout') {
        if (stdout.length < MAX_STDOUT_BYTES) stdout += chunk;
      } else {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
      }
    },
  });
  if (run.startError !== undefined) throw new Error(`could not start \`${argv[0]}\`: ${run.startError}`);
  return { code: run.exitCode, signal: run.signal ?? null, stdout, stderr, timedOut: run.timedOut };
}
