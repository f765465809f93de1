import { hostname } from 'node:os';
import type { V1Lease } from '@kubernetes/client-node';
import type { LockHolder } from '../../core/types.ts';
import { isSameProcessAlive, pidNamespaceId, processStartTime } from '../../process/process-alive.ts';

/**
 * The full holder record (a LeaseHolderRecord as JSON); holderIdentity alone is too short for a
 * useful message and cannot tell a dead process from a live one.
 */
export const HOLDER_ANNOTATION = 'cutover.dev/holder';

/** What the holder annotation records: who holds the lock, and what identifies its process. */
export interface LeaseHolderRecord extends LockHolder {
  /** The Lease's holderIdentity this record was written with: a record naming another one is stale. */
  identity: string;
  /** The holder's kernel and pid namespace (pidNamespaceId()), or null where unknown. */
  machine: string | null;
}

/** This process's host and pid namespace, and how to check a process in it. */
export interface LocalProcesses {
  /** os.hostname() */
  readonly host: string;
  /** pidNamespaceId(): a pid means the same process only where this is the same. Null where unknown. */
  readonly machine: string | null;
  startTimeOf(pid: number): string | null;
  /** Alive and, when a start time is given, still that process (not a reused pid). */
  isAlive(pid: number, startTime: string | null | undefined): boolean;
}

/** The processes of this host, as the kernel reports them. */
export function thisHostProcesses(): LocalProcesses {
  // Read from /proc only when a holder has to be checked: `status` without an operation never does.
  let machine: string | null | undefined;
  return {
    host: hostname(),
    get machine() { return machine === undefined ? (machine = pidNamespaceId()) : machine; },
    startTimeOf: processStartTime,
    isAlive: isSameProcessAlive,
  };
}

/** A read of the Lease: who holds it and whether they still renew it. */
export interface LeaseView {
  /** The holder as recorded by cutover, or as far as a foreign holder can be described. */
  holder: LockHolder | null;
  identity: string | null;
  /** `namespace/name` of the Lease, for messages. */
  lease: string;
  /** True when the holder record was written by cutover for the current holderIdentity. */
  recorded: boolean;
  /** The recorded holder's pid namespace, when recorded. */
  machine: string | null;
  renewedAt: number | null;
  /** When the lease lapses unless renewed (ms since the epoch). */
  expiresAt: number | null;
  expired: boolean;
}

/**
 * Who holds the Lease, as cutover recorded it (or as far as a foreign holder can be described),
 * and whether it lapsed. `where` is `namespace/name`; `defaultDurationMs` applies when the Lease
 * names no duration.
 */
export function leaseView(lease: V1Lease | undefined, where: string, defaultDurationMs: number): LeaseView {
  const identity = lease?.spec?.holderIdentity || null;
  if (!lease || !identity) return { holder: null, identity: null, lease: where, recorded: false, machine: null, renewedAt: null, expiresAt: null, expired: true };
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const renewedAt = timeOf(renewed);
  const durationMs = (lease.spec?.leaseDurationSeconds ?? defaultDurationMs / 1000) * 1000;
  const record = holderRecord(lease.metadata?.annotations?.[HOLDER_ANNOTATION]);
  // Another writer may have taken the Lease and left our annotation behind: then it is not theirs.
  const recorded = record?.identity === identity;
  const acquired = timeOf(lease.spec?.acquireTime) ?? renewedAt;
  const holder: LockHolder = recorded
    ? { pid: record.pid, host: record.host, command: record.command, since: record.since, startTime: record.startTime ?? null }
    : { pid: 0, host: identity, command: 'unknown', since: acquired === null ? '' : new Date(acquired).toISOString() };
  const expiresAt = renewedAt === null ? null : renewedAt + durationMs;
  return {
    holder, identity, lease: where, recorded, machine: recorded ? record.machine : null,
    renewedAt, expiresAt, expired: expiresAt === null || Date.now() > expiresAt,
  };
}

/**
 * True when nobody holds the lease, it expired, or its recorded holder ran in this pid
 * namespace and is gone (dead, or its pid reused by a process with another start time).
 */
export function isLeaseAbandoned(view: LeaseView, local: LocalProcesses): boolean {
  if (!view.holder || view.expired) return true;
  if (!view.recorded || view.holder.pid <= 0 || view.holder.host !== local.host) return false;
  // Without a namespace id on either side (not Linux), the host name is all there is to go by.
  const here = view.machine === null ? local.machine === null : view.machine === local.machine;
  return here && !local.isAlive(view.holder.pid, view.holder.startTime);
}

/** True when `holder` does not hold the Lease any more: nobody or someone else does, or it was abandoned. */
export function isHolderGone(view: LeaseView, holder: LockHolder, local: LocalProcesses): boolean {
  if (!view.holder) return true;
  if (view.holder.pid !== holder.pid || view.holder.host !== holder.host || view.holder.since !== holder.since) return true;
  return isLeaseAbandoned(view, local);
}

function timeOf(value: Date | string | undefined): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** The holder annotation, if it is a whole record cutover wrote; anything else is not trusted. */
function holderRecord(text: string | undefined): LeaseHolderRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text ?? 'null');
  } catch {
    return undefined;
  }
  const r = value as Partial<LeaseHolderRecord> | null;
  if (!r || typeof r !== 'object' || typeof r.identity !== 'string' || typeof r.pid !== 'number' || !Number.isInteger(r.pid)) return undefined;
  if (typeof r.host !== 'string' || typeof r.command !== 'string' || typeof r.since !== 'string') return undefined;
  return {
    pid: r.pid, host: r.host, command: r.command, since: r.since, identity: r.identity,
    startTime: typeof r.startTime === 'string' ? r.startTime : null,
    machine: typeof r.machine === 'string' ? r.machine : null,
  };
}
