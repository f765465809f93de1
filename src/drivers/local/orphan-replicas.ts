import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isProcessAlive } from './process-alive.ts';

/** Every replica carries this variable, so a daemon that lost its record can still find them. */
export const STATE_DIR_ENV = 'CUTOVER_STATE_DIR';

/**
 * Pids of processes started as replicas for `stateDir` (found by the marker in their
 * environment, /proc/<pid>/environ), other than this process. Linux only; elsewhere, empty.
 * Only the group leader of each replica is listed; stopping its group stops its children.
 */
export function findReplicaProcesses(stateDir: string): number[] {
  const marker = `${STATE_DIR_ENV}=${resolve(stateDir)}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!environ.includes(marker)) continue;
      // A replica's own children inherit the marker; their group leader is the replica.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(fields[2]);
      if (pgid === pid && isProcessAlive(pid)) found.push(pid);
    } catch { /* exited meanwhile, or not ours to read */ }
  }
  return found;
}

/** SIGTERM to each replica's process group, SIGKILL to whatever is left after `timeoutMs`. */
export async function stopReplicaProcesses(pids: readonly number[], timeoutMs: number): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
  };
  pids.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  pids.forEach((pid) => signal(pid, 'SIGKILL'));
}
