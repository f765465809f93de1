import { readFileSync, readlinkSync } from 'node:fs';
import { isDeadState, readProcStat } from './proc-stat.ts';

/** True when a process with this pid exists (signal 0 probes without delivering anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (dead, not yet reaped by its parent, e.g. under a PID 1 that never reaps) still
  // answers signal 0, but holds no lock and serves nothing.
  const state = readProcStat(pid)?.state;
  return state === undefined || !isDeadState(state);
}

/**
 * The kernel's start time of `pid` (clock ticks since boot), or null when unknown. Recording it
 * next to a pid lets us tell "our process is still alive" from "the pid was reused by another".
 */
export function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** Alive and, when a start time was recorded, still the same process. */
export function isSameProcessAlive(pid: number, startTime: string | null | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

/**
 * What tells this kernel and pid namespace apart from others that may share the host name
 * (containers on one node, two VMs, a host that has rebooted): the kernel's boot id and the pid
 * namespace, e.g. `8d6c… pid:[4026531836]`. A pid means the same process only where this is
 * the same. Null off Linux.
 */
export function pidNamespaceId(): string | null {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return null;
  }
}
