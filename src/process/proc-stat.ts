import { readdirSync, readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` that cutover reads (see proc(5)). */
export interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie, X dead, ... (field 3). */
  state: string;
  /** Process group id (field 5). */
  pgid: number;
  /** Kernel start time in clock ticks since boot (field 22): with the pid, names one process. */
  startTime: string;
  /** CPU time used so far, user plus system, in clock ticks (fields 14 and 15). */
  cpuTicks: number;
}

/**
 * Reads `/proc/<pid>/stat`, or null when the process is gone, not ours to read, or this is
 * not Linux. The command name (field 2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from after the last `)`.
 */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , pgid] = fields;
  const startTime = fields[19];
  if (!state || pgid === undefined || startTime === undefined) return null;
  return { state, pgid: Number(pgid), startTime, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** True for a process that has exited but not been reaped (Z), or is being torn down (X). */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X';
}

/** Pids listed in /proc (every process this pid namespace shows); empty off Linux. */
export function listProcessIds(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
}
