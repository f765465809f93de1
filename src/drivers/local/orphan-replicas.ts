import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { listProcessIds, readProcStat } from '../../process/proc-stat.ts';
import { isProcessAlive } from '../../process/process-alive.ts';
import { terminateProcessGroup } from '../../process/process-group.ts';

/** Every replica carries this variable, so a daemon that lost its record can still find them. */
export const STATE_DIR_ENV = 'CUTOVER_STATE_DIR';

/**
 * Pids of processes started as replicas for `stateDir` (found by the marker in their
 * environment, /proc/<pid>/environ), other than this process. Linux only; elsewhere, empty.
 * Only the group leader of each replica is listed; stopping its group stops its children.
 */
export function findReplicaProcesses(stateDir: string): number[] {
  const marker = `${STATE_DIR_ENV}=${resolve(stateDir)}`;
  const found: number[] = [];
  for (const pid of listProcessIds()) {
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!environ.includes(marker)) continue;
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    // A replica's own children inherit the marker; their group leader is the replica.
    if (readProcStat(pid)?.pgid === pid && isProcessAlive(pid)) found.push(pid);
  }
  return found;
}

/**
 * SIGTERM to each replica's process group; once the replica has exited (or after `timeoutMs`),
 * SIGKILL to whatever is left of its group.
 */
export async function stopReplicaProcesses(pids: readonly number[], timeoutMs: number): Promise<void> {
  await Promise.all(pids.map((pid) => terminateProcessGroup(pid, timeoutMs, { leaderOnly: true })));
}
