import type { OperationSignal } from './signals.ts';
import type { AppState, HistoryEntry, LockHolder } from './types.ts';

/** A held lock. Releasing twice is harmless. */
export interface HeldLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

export interface HistoryReadOptions {
  /** Told about each history line that was skipped because it is torn or not a history entry. */
  onSkippedLine?(message: string): void;
}

/**
 * Where an app's state, history and operation lock live: files under `.cutover/` locally,
 * a ConfigMap and a Lease on Kubernetes.
 */
export interface StateStore {
  /**
   * The last saved state, or null before the first save.
   * @throws CutoverError('unreachable'), or CutoverError('damaged') naming the record and what to do when it cannot be read.
   */
  load(): Promise<AppState | null>;
  /** Saves atomically: a reader sees the old state or the new one, never a mix. */
  save(state: AppState): Promise<void>;
  /** Appends to the history; never rewrites earlier entries. */
  appendHistory(entry: HistoryEntry): Promise<void>;
  /** Newest last; at most `limit` entries. A line that cannot be read is skipped and reported to `onSkippedLine`. */
  history(limit?: number, options?: HistoryReadOptions): Promise<HistoryEntry[]>;
  /**
   * Takes the app's operation lock. A lock whose holder has died is recovered.
   * @throws CutoverError('locked') with details.holder when someone alive holds it.
   */
  acquireLock(holder: LockHolder): Promise<HeldLock>;
  /** Who holds the lock now, or null. */
  lockHolder(): Promise<LockHolder | null>;
  /** True when the lock's holder is known to be gone (its process died, or its lease expired), or the lock record is damaged. */
  isHolderGone(holder: LockHolder): Promise<boolean>;
  /** Removes the lock when it is damaged or its holder is gone; a live holder's lock stays. @returns true when one was removed. */
  recoverLock?(): Promise<boolean>;
  /**
   * Moves a state record that cannot be read out of the way (keeping it for a person to look
   * at), so the record can be rebuilt. A readable record is left alone.
   * @returns where the damaged record went, or null when there was nothing to move.
   */
  setAsideDamagedState?(): Promise<string | null>;
  /** Leaves a request for the process running operation `operationId`. Idempotent. */
  sendSignal(operationId: string, signal: OperationSignal): Promise<void>;
  /** The requests left for `operationId` so far. */
  signals(operationId: string): Promise<ReadonlySet<OperationSignal>>;
  /** Forgets the requests for `operationId` once the operation ends. */
  clearSignals(operationId: string): Promise<void>;
}
