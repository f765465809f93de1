import { setTimeout as sleep } from 'node:timers/promises';
import { isDeadState, listProcessIds, readProcStat } from './proc-stat.ts';
import { isProcessAlive } from './process-alive.ts';

const POLL_MS = 25;

/**
 * Sends `signal` to the process group led by `pgid`; when there is no such group (the leader
 * never made one, or already left it), to the process itself. Never throws: a group or
 * process that is already gone is the goal reached.
 */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    try { process.kill(pgid, signal); } catch { /* already gone */ }
  }
}

/**
 * True while any live process is in group `pgid`. kill(-pgid, 0) alone is not enough: in a
 * container whose PID 1 does not reap orphans, killed grandchildren stay as zombies and
 * still count as group members, so on Linux the zombies are filtered out through /proc.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  return listProcessIds().some((pid) => {
    const stat = readProcStat(pid);
    return stat !== null && stat.pgid === pgid && !isDeadState(stat.state);
  });
}

/** How {@link terminateProcessGroup} decides that SIGTERM has done its work. */
export interface TerminateOptions {
  /**
   * Wait only for the leader to exit, then SIGKILL what is left of its group at once: for a
   * replica, whose stragglers are not worth the grace. By default the whole group gets it.
   */
  leaderOnly?: boolean;
}

/**
 * SIGTERM to the whole group, then SIGKILL to whatever is left of it after `graceMs` (at once
 * with 0), so nothing a program started in the background outlives it. Resolves when it is
 * done; never throws; idempotent.
 */
export async function terminateProcessGroup(pgid: number, graceMs: number, options: TerminateOptions = {}): Promise<void> {
  const running = options.leaderOnly ? () => isProcessAlive(pgid) : () => isProcessGroupAlive(pgid);
  // A replica's leader may be gone with members of its group left: those get the signals too.
  if (!options.leaderOnly && !running()) return;
  signalProcessGroup(pgid, 'SIGTERM');
  // Real time, not the Clock: the grace is given to a real process to exit.
  const until = performance.now() + graceMs;
  while (performance.now() < until) {
    await sleep(Math.min(POLL_MS, Math.max(1, until - performance.now())));
    if (!running()) break;
  }
  if (options.leaderOnly || running()) signalProcessGroup(pgid, 'SIGKILL');
}
