import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputTail } from './output-tail.ts';
import { terminateProcessGroup } from './process-group.ts';

/** How a process run in its own group ended. */
export interface GroupRun {
  /** null when killed by a signal or never started. */
  exitCode: number | null;
  signal?: NodeJS.Signals;
  timedOut: boolean;
  /** The caller's signal stopped it. */
  stopped: boolean;
  durationMs: number;
  /** Tail of stdout and stderr, interleaved as they arrived. */
  output: string;
  /** Last non-empty output line. */
  lastLine?: string;
  /** Set when the program could not be started at all, e.g. `not found`. */
  startError?: string;
}

export interface GroupRunOptions {
  file: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  outputLimitBytes: number;
  /** Time between SIGTERM and SIGKILL to the group. */
  killGraceMs: number;
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

const CLOSE_WAIT_MS = 500;

function describeStartError(err: NodeJS.ErrnoException, file: string, cwd: string): string {
  try {
    if (!statSync(cwd).isDirectory()) return `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
  if (err.code === 'ENOENT') return `${file} not found`;
  if (err.code === 'EACCES') return `${file} is not executable`;
  return `${file} could not start: ${err.message}`;
}

/**
 * Runs `file args` as the leader of a new process group and waits for it. On timeout or abort,
 * the whole group gets SIGTERM, then SIGKILL after the grace period, so nothing a script
 * started in the background outlives it. Processes left in the group after the leader exits
 * are ended the same way. Never throws.
 */
export async function runInProcessGroup(options: GroupRunOptions): Promise<GroupRun> {
  const started = performance.now();
  const tail = new OutputTail(options.outputLimitBytes);
  const base = { timedOut: false, stopped: false };

  if (options.signal?.aborted) {
    return { ...base, exitCode: null, stopped: true, durationMs: 0, output: '' };
  }

  const child = spawn(options.file, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const outcome = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ error }));
    },
  );

  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (text: string) => {
      tail.push(Buffer.from(text));
      options.onOutput?.(text, stream);
    });
  }

  let timedOut = false;
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const pgid = child.pid;
  const stop = () => {
    if (pgid !== undefined) stopping ??= terminateProcessGroup(pgid, options.killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    stopped = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const ended = await outcome;
  const durationMs = Math.round(performance.now() - started);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);

  if ('error' in ended) {
    if (pgid !== undefined) await terminateProcessGroup(pgid, options.killGraceMs);
    return {
      ...base,
      exitCode: null,
      durationMs,
      output: tail.toString(),
      startError: describeStartError(ended.error, options.file, options.cwd),
    };
  }

  if (pgid !== undefined) await (stopping ?? terminateProcessGroup(pgid, options.killGraceMs));
  // A process that left the group (setsid) may still hold our pipes open; do not wait for it forever.
  // Real time, not the Clock: the pipes belong to a real process.
  const closedInTime = await Promise.race([closed.then(() => true), sleep(CLOSE_WAIT_MS).then(() => false)]);
  if (!closedInTime) {
    child.stdout.destroy();
    child.stderr.destroy();
  }

  return {
    exitCode: ended.code,
    ...(ended.signal === null ? {} : { signal: ended.signal }),
    timedOut,
    stopped,
    durationMs,
    output: tail.toString(),
    lastLine: tail.lastLine(),
  };
}
