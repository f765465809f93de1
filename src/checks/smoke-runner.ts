import { formatDuration } from '../config/duration.ts';
import type { Color } from '../core/types.ts';
import { runInProcessGroup, type GroupRun } from '../process/run-in-process-group.ts';
import type { SmokeReport, SmokeResult, SmokeSpec } from './types.ts';

export interface SmokeRunOptions {
  /** The preview address of the color under test; exported as CUTOVER_TARGET_URL. */
  targetUrl: string;
  /** Working directory; defaults to each spec's own (the config file's directory). */
  cwd?: string;
  /** Extra environment on top of the inherited one. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Exported as CUTOVER_VERSION, and substituted for `${version}` in argv commands (never in shell strings). */
  version?: string;
  /** Exported as CUTOVER_COLOR. */
  color?: Color;
  signal?: AbortSignal;
  /** Live output, e.g. for a --verbose terminal. */
  onOutput?: (text: string, info: { command: string; stream: 'stdout' | 'stderr' }) => void;
  /** Output kept per command (the tail). Default 16 KiB. */
  outputLimitBytes?: number;
  /** Time between SIGTERM and SIGKILL on timeout. Default 3s. */
  killGraceMs?: number;
}

const DEFAULT_OUTPUT_LIMIT = 16 * 1024;
const DEFAULT_KILL_GRACE_MS = 3_000;

function describeEnd(result: SmokeResult, run: GroupRun, timeoutMs: number): string {
  if (run.startError !== undefined) return `could not start: ${run.startError}`;
  if (result.timedOut) return `timed out after ${formatDuration(timeoutMs)}; its process group was killed`;
  if (run.stopped) return `was stopped after ${formatDuration(result.durationMs)}`;
  if (result.exitCode !== null) return `exited with code ${result.exitCode} after ${formatDuration(result.durationMs)}`;
  return `was killed by ${result.signal ?? 'a signal'} after ${formatDuration(result.durationMs)}`;
}

/**
 * Runs the smoke commands one after another against `targetUrl`, stopping at the first failure.
 * A shell spec runs as `/bin/sh -c <run>`; an argv spec runs directly. Each runs in its own
 * process group: a timeout or abort kills everything it started, and anything it leaves
 * running after it exits is ended too. Never throws: failure is in the report.
 */
export async function runSmokeTests(specs: readonly SmokeSpec[], options: SmokeRunOptions): Promise<SmokeReport> {
  const started = performance.now();
  const results: SmokeResult[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    CUTOVER_TARGET_URL: options.targetUrl,
    ...(options.version === undefined ? {} : { CUTOVER_VERSION: options.version }),
    ...(options.color === undefined ? {} : { CUTOVER_COLOR: options.color }),
  };

  for (const [index, spec] of specs.entries()) {
    const argv = spec.shell
      ? ['/bin/sh', '-c', spec.command]
      : spec.argv.map((arg) => (options.version === undefined ? arg : arg.replaceAll('${version}', options.version)));
    const run = await runInProcessGroup({
      file: argv[0],
      args: argv.slice(1),
      cwd: options.cwd ?? spec.cwd,
      env,
      timeoutMs: spec.timeoutMs,
      signal: options.signal,
      outputLimitBytes: options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT,
      killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      onOutput: options.onOutput && ((text, stream) => options.onOutput?.(text, { command: spec.command, stream })),
    });
    const result: SmokeResult = {
      command: spec.command,
      exitCode: run.exitCode,
      ...(run.signal === undefined ? {} : { signal: run.signal }),
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      output: run.startError === undefined ? run.output : `${run.output}${run.startError}\n`,
    };
    results.push(result);

    const passed = run.exitCode === 0 && !run.timedOut && !run.stopped;
    if (!passed) {
      const notRun = specs.length - index - 1;
      const last = run.startError === undefined && run.lastLine !== undefined ? ` (last output: ${run.lastLine})` : '';
      const head = run.stopped ? 'smoke tests stopped' : 'smoke test failed';
      return {
        passed: false,
        results,
        summary: `${head}: ${spec.command} ${describeEnd(result, run, spec.timeoutMs)}${last}`
          + (notRun > 0 ? `; ${notRun} not run` : ''),
      };
    }
  }

  const total = formatDuration(performance.now() - started);
  return {
    passed: true,
    results,
    summary: specs.length === 0
      ? 'no smoke commands configured'
      : `${specs.length} smoke command${specs.length === 1 ? '' : 's'} passed in ${total}`,
  };
}
