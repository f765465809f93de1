import { CutoverError } from '../../src/core/errors.ts';
import type { OperationSignal } from '../../src/core/signals.ts';
import type { HeldLock, StateStore } from '../../src/core/store.ts';
import type { AppState, HistoryEntry, LockHolder } from '../../src/core/types.ts';

/**
 * A StateStore in memory, for the core's unit tests: state and history are deep-copied in and
 * out (as a file or a ConfigMap would be), the lock is refused while held. `crash()` forgets the
 * lock without releasing it, as a process killed mid-operation would leave it.
 */
export class MemoryStateStore implements StateStore {
  state: AppState | null = null;
  readonly entries: HistoryEntry[] = [];
  private holder: LockHolder | null = null;
  private readonly gone = new Set<LockHolder>();
  private readonly requests = new Map<string, Set<OperationSignal>>();

  async load(): Promise<AppState | null> {
    return this.state ? structuredClone(this.state) : null;
  }
  async save(state: AppState): Promise<void> {
    this.state = structuredClone(state);
  }
  async appendHistory(entry: HistoryEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }
  async history(limit = Infinity): Promise<HistoryEntry[]> {
    return this.entries.slice(-limit);
  }
  async acquireLock(holder: LockHolder): Promise<HeldLock> {
    if (this.holder && !this.gone.has(this.holder)) throw new CutoverError('locked', `locked by ${this.holder.command}`, { details: { holder: this.holder } });
    this.holder = holder;
    let released = false;
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        if (this.holder === holder) this.holder = null;
      },
    };
  }
  async lockHolder(): Promise<LockHolder | null> {
    return this.holder;
  }
  async isHolderGone(holder: LockHolder): Promise<boolean> {
    return this.gone.has(holder);
  }
  async sendSignal(operationId: string, signal: OperationSignal): Promise<void> {
    const set = this.requests.get(operationId) ?? new Set();
    set.add(signal);
    this.requests.set(operationId, set);
  }
  async signals(operationId: string): Promise<ReadonlySet<OperationSignal>> {
    return new Set(this.requests.get(operationId));
  }
  async clearSignals(operationId: string): Promise<void> {
    this.requests.delete(operationId);
  }
  /** The lock's holder died: the lock stays, but anyone may take it over. */
  crash(): void {
    if (this.holder) this.gone.add(this.holder);
  }
}
