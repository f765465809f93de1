import type { Clock } from '../deps.ts';
import type { PhaseRecord } from '../types.ts';

/** A ConfigMap store must not be written more often than about once a second. */
export const LIVE_SAVE_INTERVAL_MS = 1_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Evidence a phase gathers while it runs (an analysis's measurements so far), put on the
 * running phase's record and saved through the store, so `status` and the dashboard see it
 * before the phase ends. Saves are throttled to one per `minIntervalMs`: the first change is
 * saved at once, later ones are coalesced into one save at the end of the interval. When the
 * phase ends its own evidence replaces what was shown live (`settle`), and the phase's end
 * saves the record anyway, so a pending live save is dropped.
 */
export class LivePhaseEvidence {
  private readonly save: () => Promise<void>;
  private readonly clock: Clock;
  private readonly minIntervalMs: number;
  private record: PhaseRecord | null = null;
  private readonly keys = new Set<string>();
  private lastSaveAt = Number.NEGATIVE_INFINITY;
  /** Aborts the coalesced save waiting on the clock, if any. */
  private pending: AbortController | null = null;

  /** `save` persists the whole state record (the caller serializes it with its other saves). */
  constructor(save: () => Promise<void>, clock: Clock, minIntervalMs = LIVE_SAVE_INTERVAL_MS) {
    this.save = save;
    this.clock = clock;
    this.minIntervalMs = minIntervalMs;
  }

  /** Shows `value` as `data[key]` of `record`, which must be the running phase's record. */
  set(record: PhaseRecord, key: string, value: unknown): void {
    if (this.record !== record) {
      this.cancel();
      this.keys.clear();
      this.record = record;
    }
    const data = isRecord(record.data) ? record.data : record.data === undefined ? {} : { result: record.data };
    record.data = { ...data, [key]: value };
    this.keys.add(key);
    this.schedule();
  }

  /** The phase ended: drops what was shown live from `record` (its final evidence follows) and any pending save. */
  settle(record: PhaseRecord): void {
    this.cancel();
    if (this.record !== record) return;
    if (isRecord(record.data)) {
      const rest = { ...record.data };
      for (const key of this.keys) delete rest[key];
      record.data = Object.keys(rest).length > 0 ? rest : undefined;
    }
    this.keys.clear();
    this.record = null;
  }

  /** Drops a pending save (the operation is closing). */
  cancel(): void {
    this.pending?.abort();
    this.pending = null;
  }

  private schedule(): void {
    if (this.pending) return;
    const wait = this.lastSaveAt + this.minIntervalMs - this.clock.now();
    if (wait <= 0) return this.flush();
    const pending = new AbortController();
    this.pending = pending;
    // On the operation's clock, which also stamps lastSaveAt: a test's virtual time moves both.
    void this.clock.sleep(wait, pending.signal).then(() => {
      if (pending.signal.aborted) return;
      this.pending = null;
      this.flush();
    });
  }

  private flush(): void {
    this.lastSaveAt = this.clock.now();
    // Best effort: the phase's end saves the record again, and a store that cannot be written
    // then fails the operation as it would without live evidence.
    this.save().catch(() => {});
  }
}
