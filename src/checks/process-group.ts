import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputTail } from './output-tail.ts';

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

const POLL_MS = 25;
const CLOSE_WAIT_MS = 500;

/**
 * True while any live process is in group `pgid`. kill(-pgid, 0) alone is not enough: in a
 * container whose PID 1 does not reap orphans, killed grandchildren stay as zombies and
 * still count as group members, so on Linux the zombies are filtered out through /proc.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name, which is in parentheses and may itself contain them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after `graceMs`. */
async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  const until = performance.now() + graceMs;
  while (performance.now() < until) {
    await sleep(POLL_MS);
    if (!groupAlive(pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

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
    if (pgid !== undefined) stopping ??= terminateGroup(pgid, options.killGraceMs);
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
    if (pgid !== undefined) await terminateGroup(pgid, options.killGraceMs);
    return {
      ...base,
      exitCode: null,
      durationMs,
      output: tail.toString(),
      startError: describeStartError(ended.error, options.file, options.cwd),
    };
  }

  if (pgid !== undefined) await (stopping ?? terminateGroup(pgid, options.killGraceMs));
  // A process that left the group (setsid) may still hold our pipes open; do not wait for it forever.
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
