import { spawn, type ChildProcess } from 'node:child_process';
import { newProbeToken } from '../../router/probe-token.ts';
import { DAEMON_ROLE_ENV, listenerStdio, type ListenFds } from './listener-handoff.ts';

/**
 * Keeper → worker, in the worker's environment: the switch probes' token (probe-token.ts).
 * The keeper makes it once and gives every worker the same one, so a probe sent to the old
 * worker during a hand-off, or across a crash, is still told the color that served it. The
 * worker takes it out of its environment before it starts anything (keeper-link.ts).
 */
export const PROBE_TOKEN_ENV = 'CUTOVER_PROBE_TOKEN';

/** Crashes of the daemon worker within CRASH_WINDOW_MS after which the keeper gives up (and its own supervisor, systemd, takes over). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

/** Keeper → worker. */
export type KeeperMessage = { type: 'retire' } | { type: 'restart-failed'; detail: string };
/** Worker → keeper. */
export type WorkerMessage = { type: 'ready' } | { type: 'restart' };

export interface KeeperOptions {
  /** The listeners to hand to each worker; null when the data plane binds its own (engine `haproxy`). */
  fds: ListenFds | null;
  /** Arguments after the node binary for a worker; `first` is the worker started with the keeper. */
  workerArgs(first: boolean): string[];
  log(message: string): void;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * The small parent that holds the router's listening sockets (inherited, never accepted on
 * here) and runs the daemon itself as a child, the worker, which accepts on them. Because the
 * sockets stay open in this process:
 * - a worker that crashes is started again and finds the connections that arrived meanwhile
 *   queued in the kernel, not refused;
 * - a restart (`cutover up` against a running daemon, SIGHUP) starts a new worker, possibly of
 *   a new cutover version, lets it restore the state and accept alongside the old one, and only
 *   then tells the old one to stop accepting and finish what it has.
 * Resolves with the exit code for this process once the daemon stopped (`down`, SIGTERM), or a
 * first worker failed to start (its code), or workers keep crashing.
 */
export function runKeeper(options: KeeperOptions): Promise<number> {
  return new Promise<number>((resolveExit) => {
    let current: ChildProcess | null = null;
    let next: ChildProcess | null = null;
    let everReady = false;
    let stopping = false;
    const crashes: number[] = [];
    const probeToken = newProbeToken();
    const finish = (code: number) => {
      process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', restart);
      resolveExit(code);
    };

    const send = (child: ChildProcess | null, message: KeeperMessage) => {
      if (child?.connected) child.send(message, () => {});
    };

    const startWorker = (first: boolean): ChildProcess => {
      const child = spawn(process.execPath, options.workerArgs(first), {
        stdio: ['ignore', 'inherit', 'inherit', ...(options.fds ? listenerStdio(options.fds) : []), 'ipc'],
        env: { ...process.env, [DAEMON_ROLE_ENV]: 'worker', [PROBE_TOKEN_ENV]: probeToken },
      });
      child.on('message', (message: WorkerMessage) => onMessage(child, message));
      child.once('exit', (code, signal) => onExit(child, code, signal));
      child.once('error', (err) => options.log(`could not start the daemon: ${err.message}`));
      return child;
    };

    const onMessage = (child: ChildProcess, message: WorkerMessage) => {
      if (message?.type === 'ready') {
        if (child === next) {
          const old = current;
          current = child;
          next = null;
          everReady = true;
          options.log(`daemon worker ${child.pid} took over the listeners${old ? ` from ${old.pid}, which finishes its requests and exits` : ''}`);
          send(old, { type: 'retire' });
        } else if (child === current) {
          everReady = true;
        }
      } else if (message?.type === 'restart' && child === current) {
        restart();
      }
    };

    const restart = () => {
      if (stopping || next) return;
      options.log(`restarting the daemon worker (${current?.pid ?? 'none'}): the listeners stay open meanwhile`);
      next = startWorker(false);
    };

    const onExit = (child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
      if (child === next) {
        next = null;
        if (stopping) {
          if (!current) finish(0);
          return;
        }
        if (!current) {
          recover(child, code, signal);
          return;
        }
        const detail = `the new daemon ${describeExit(code, signal)} before it was ready (see daemon.log); the running one keeps serving`;
        options.log(detail);
        send(current, { type: 'restart-failed', detail });
        return;
      }
      if (child !== current) return; // a retired worker finished its requests
      current = null;
      if (stopping || (code === 0 && signal === null)) {
        stopping = true;
        if (next) next.kill('SIGTERM');
        else finish(code ?? 0);
        return;
      }
      if (!everReady) {
        finish(code ?? 1);
        return;
      }
      if (next) return; // the replacement becomes current once it is ready
      recover(child, code, signal);
    };

    /** No worker runs: start one again, unless they keep crashing. */
    const recover = (child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
      const now = Date.now();
      crashes.push(now);
      const recent = crashes.filter((t) => now - t <= CRASH_WINDOW_MS).length;
      if (recent > MAX_CRASHES) {
        options.log(`the daemon worker ${describeExit(code, signal)}, ${recent} times within ${CRASH_WINDOW_MS / 1000}s; giving up`);
        finish(1);
        return;
      }
      options.log(`the daemon worker ${child.pid} ${describeExit(code, signal)}; starting it again (connections wait in the listen queue meanwhile)`);
      // Straight away for a single crash: every moment counts, the queue only holds so much.
      const delay = recent > 1 ? 1_000 : 0;
      setTimeout(() => {
        if (!stopping && !current) {
          next = startWorker(false);
        }
      }, delay);
    };

    const stop = () => {
      stopping = true;
      current?.kill('SIGTERM');
      next?.kill('SIGTERM');
      if (!current && !next) finish(0);
    };
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', restart);
    current = startWorker(true);
  });
}
