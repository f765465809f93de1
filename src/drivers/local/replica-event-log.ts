import type { ReplicaEvent, ReplicaEventPage } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';

/** Enough for every event of a long bake window with a crash-looping color; older ones are dropped. */
const MAX_EVENTS = 1_000;

/**
 * The supervisor's record of what happened to replicas, read by the CLI through the admin API
 * (`GET /colors/:color/events`). Times strictly increase, so "after the cursor" never drops an
 * event recorded in the same millisecond as the last one returned.
 */
export class ReplicaEventLog {
  private readonly events: ReplicaEvent[] = [];
  private lastAt = 0;
  private readonly waiters = new Set<() => void>();

  record(event: Omit<ReplicaEvent, 'at'> & { at?: number }): ReplicaEvent {
    const at = Math.max(event.at ?? Date.now(), this.lastAt + 1);
    this.lastAt = at;
    const full: ReplicaEvent = { ...event, at };
    this.events.push(full);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const wake of [...this.waiters]) wake();
    return full;
  }

  /** Events of `color` after `since`, oldest first. */
  after(color: Color, since: number): ReplicaEvent[] {
    return this.events.filter((e) => e.color === color && e.at > since);
  }

  /**
   * A page for the admin API: returns at once when there are events after `since`, otherwise
   * waits up to `waitMs` for one (a long poll), so a crash reaches the CLI within milliseconds.
   */
  async page(color: Color, since: number, waitMs: number, counts: () => { desired: number; ready: number }, signal?: AbortSignal): Promise<ReplicaEventPage> {
    let events = this.after(color, since);
    if (events.length === 0 && waitMs > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(check);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const check = () => { if (this.after(color, since).length > 0) done(); };
        const timer = setTimeout(done, waitMs);
        this.waiters.add(check);
        signal?.addEventListener('abort', done, { once: true });
      });
      events = this.after(color, since);
    }
    const cursor = Math.max(since, events.at(-1)?.at ?? since);
    return { events, cursor, ...counts() };
  }
}
