import { formatDuration, parseDuration, parseDurationOr } from '../config/duration.ts';
import { runInProcessGroup } from '../process/run-in-process-group.ts';
import type { HookEnvironment, HookPointName, HookReport, HookRun, LifecycleHooks } from '../core/lifecycle-hooks.ts';
import { hooksSchema, type HooksConfig } from './config-schema.ts';

const OUTPUT_LIMIT_BYTES = 8 * 1024;
const KILL_GRACE_MS = 5_000;

interface HookCommand { argv: string[]; timeoutMs: number }

/**
 * The `hooks:` section as the core's LifecycleHooks: each command runs with no shell, in its own
 * process group (a timeout kills its children too), in the config file's directory, with the
 * release described in CUTOVER_* variables. Commands of one point run in order; the first
 * failure ends the point.
 */
export function createHookRunner(raw: unknown, baseDir: string): LifecycleHooks {
  const config: HooksConfig = hooksSchema.parse(raw);
  const defaultTimeoutMs = parseDuration(config.timeout);
  const commands = (point: HookPointName): HookCommand[] => {
    const list = config[point];
    if (!list) return [];
    if (list.every((item): item is string => typeof item === 'string')) return [{ argv: list, timeoutMs: defaultTimeoutMs }];
    return (list as Array<{ command: string[]; timeout?: string }>).map((item) => ({ argv: item.command, timeoutMs: parseDurationOr(item.timeout, defaultTimeoutMs) }));
  };
  return {
    has: (point) => commands(point).length > 0,
    async run(point, env, signal): Promise<HookReport> {
      const runs: HookRun[] = [];
      for (const command of commands(point)) {
        const [file, ...args] = command.argv;
        const run = await runInProcessGroup({
          file: file!,
          args,
          cwd: baseDir,
          env: { ...process.env, ...hookEnv(point, env) },
          timeoutMs: command.timeoutMs,
          signal,
          outputLimitBytes: OUTPUT_LIMIT_BYTES,
          killGraceMs: KILL_GRACE_MS,
        });
        runs.push({ command: command.argv, exitCode: run.exitCode, signal: run.signal ?? null, timedOut: run.timedOut, durationMs: run.durationMs, output: run.startError ?? run.output });
        if (run.exitCode !== 0 || run.timedOut || run.stopped) {
          const why = run.startError ?? (run.timedOut ? `no result within ${formatDuration(command.timeoutMs)} (killed)` : run.stopped ? 'stopped' : run.exitCode !== null ? `exit ${run.exitCode}` : `killed by ${run.signal ?? 'a signal'}`);
          const last = run.startError === undefined && run.lastLine ? `: ${run.lastLine}` : '';
          return { point, ok: false, summary: `${command.argv.join(' ')}: ${why}${last}`, runs };
        }
      }
      const total = runs.reduce((sum, r) => sum + r.durationMs, 0);
      return { point, ok: true, summary: `${runs.length} command${runs.length === 1 ? '' : 's'} ok in ${formatDuration(total)}`, runs };
    },
  };
}

function hookEnv(point: HookPointName, env: HookEnvironment): Record<string, string> {
  return {
    CUTOVER_HOOK: point,
    CUTOVER_APP: env.app,
    CUTOVER_OPERATION_ID: env.operationId,
    CUTOVER_VERSION: env.version,
    CUTOVER_COLOR: env.color,
    CUTOVER_LIVE_COLOR: env.liveColor ?? '',
    CUTOVER_PREVIOUS_VERSION: env.previousVersion ?? '',
    CUTOVER_PREVIEW_URL: env.previewUrl,
    CUTOVER_REASON: env.reason ?? '',
  };
}
