import { isCutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import type { PlatformStatus } from '../driver.ts';
import { COLORS, emptyState, type AppState, type Color } from '../types.ts';
import { recordDisagreement } from './record-disagreement.ts';

/** The `status --json` shape (see DESIGN.md's CLI contract); the dashboard shows the same. */
export interface StatusReport {
  app: string;
  live: { color: Color | null; version: string | null };
  /** `ready` and `desired` are replica counts, null when the platform could not be read. */
  colors: Record<Color, { version: string | null; state: string; healthy: boolean | null; ready: number | null; desired: number | null; detail?: string }>;
  /** `holderGone`: the process that ran it is dead (interrupted; `resume` or `abort`), or it waits at the gate. */
  operation: { id: string; kind: string; version: string | null; phase: string; holder: string; holderGone: boolean; waiting: boolean } | null;
  maintenance: { on: boolean; message?: string };
  platform: { reachable: boolean; live: Color | null; error?: string };
  /** The last finished operation and why it ended so (a rollback names its signal and evidence). */
  lastOutcome: AppState['lastOutcome'];
  warnings: string[];
}

/** A status report and the two facts callers act on, as data rather than as warning text. */
export interface StatusReading {
  report: StatusReport;
  /** Where the record and the platform disagree about live traffic (one sentence), or null. */
  disagreement: string | null;
  /** The recorded live color has no ready replica: live traffic is failing. */
  liveFailing: boolean;
}

/** What a status read needs: the platform, the store, the verifier (for a probe) and the app's name. */
export type StatusDeps = Pick<CoreDeps, 'driver' | 'store' | 'verifier'> & { readonly settings: Pick<CoreDeps['settings'], 'app'> };

/**
 * Reads cutover's record and the platform's reality, and says where they disagree. Changes
 * nothing. An unreachable platform or an unreadable lock is reported in the reading.
 * @throws CutoverError when the record itself cannot be read (damaged, unreachable store).
 */
export async function readStatus(deps: StatusDeps, options: { probe?: boolean } = {}): Promise<StatusReading> {
  const { driver, store } = deps;
  const warnings: string[] = [];
  let error: string | undefined;
  // The record, the platform and the lock are independent reads: on Kubernetes each is an API
  // round trip, so they go out together rather than one after the other.
  const [stored, platform, lockRead] = await Promise.all([
    store.load(),
    driver.status().catch((err: unknown): PlatformStatus | null => {
      if (!isCutoverError(err)) throw err;
      error = err.message;
      return null;
    }),
    // A user without rights on the lock (a view-only role) still gets a status; it says why.
    store.lockHolder().catch((err: unknown) => {
      if (!isCutoverError(err)) throw err;
      return { unreadable: err.message } as const;
    }),
  ]);
  const state: AppState = stored ?? emptyState(deps.settings.app);
  const colors = {} as StatusReport['colors'];
  for (const color of COLORS) {
    const record = state.colors[color];
    const real = platform?.colors[color];
    let healthy: boolean | null = null;
    if (real && real.desired > 0) {
      // A platform that measures health itself (Kubernetes readiness probes) is read, not
      // probed again: a probe from here goes through a port-forward per pod and costs seconds.
      const fromPlatform = driver.reportsHealth && !options.probe;
      const probe = fromPlatform ? { ok: true } : await deps.verifier.probe(await driver.targets(color), AbortSignal.timeout(5_000)).catch(() => null);
      healthy = Boolean(probe?.ok) && !real.crashLooping && real.ready === real.desired;
    }
    colors[color] = { version: record.version, state: record.state, healthy, ready: real ? real.ready : null, desired: real ? real.desired : null, detail: real?.detail };
  }
  const op = state.operation;
  // Planned maintenance moves live traffic away on purpose (on Kubernetes, the selector points
  // at the maintenance pods): that is not a record out of step with reality.
  const disagreement = platform && !op && !platform.maintenance.on ? recordDisagreement(stored, platform) : null;
  const liveFailing = Boolean(platform && state.live && platform.colors[state.live].ready === 0);
  if (disagreement) warnings.push(`record and reality disagree: ${disagreement}; run \`cutover doctor --fix\` (or \`cutover resume\`) to rebuild the record from the platform`);
  if (liveFailing) warnings.push(`THE LIVE COLOR ${state.live!.toUpperCase()} HAS NO READY REPLICAS: live traffic is failing. cutover will not switch to an unverified color by itself; deploy a fix or \`cutover rollback\``);
  if (!platform) warnings.push(`the platform is unreachable: ${error}`);
  if (lockRead && 'unreadable' in lockRead) warnings.push(`cannot read the lock: ${lockRead.unreadable}`);
  const lock = lockRead && 'unreadable' in lockRead ? null : lockRead;
  let holderGone = false;
  if (op) {
    holderGone = await store.isHolderGone(op.holder);
    const lockedByOther = lock && !lock.damaged && (lock.pid !== op.holder.pid || lock.host !== op.holder.host) && !(await store.isHolderGone(lock));
    const waiting = op.phases.at(-1)?.status === 'waiting';
    if (holderGone && !waiting && !lockedByOther) {
      warnings.push(`the ${op.kind} of ${op.version ?? '-'} was interrupted at ${op.phase}: its process (${op.holder.command}, pid ${op.holder.pid} on ${op.holder.host}) is gone. Run \`cutover resume\` to finish it, or \`cutover abort\` to undo it`);
    }
  }
  if (lock?.damaged) warnings.push(`${lock.damaged}; the next operation recovers it, or run \`cutover doctor --fix\``);
  else if (lock && !op && (await store.isHolderGone(lock))) warnings.push(`the lock is held by ${lock.command} (pid ${lock.pid} on ${lock.host}), which is gone; the next operation recovers it`);
  const report: StatusReport = {
    app: state.app,
    live: { color: state.live, version: state.live ? state.colors[state.live].version : null },
    colors,
    operation: op ? { id: op.id, kind: op.kind, version: op.version, phase: op.phase, holder: `${op.holder.command} (pid ${op.holder.pid} on ${op.holder.host})`, holderGone, waiting: op.phases.at(-1)?.status === 'waiting' } : null,
    maintenance: platform?.maintenance ?? state.maintenance,
    platform: { reachable: platform !== null, live: platform?.live ?? null, error },
    lastOutcome: state.lastOutcome,
    warnings,
  };
  return { report, disagreement, liveFailing };
}
