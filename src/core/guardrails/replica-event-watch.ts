import type { Clock } from '../deps.ts';
import { systemClock } from '../deps.ts';
import type { PlatformDriver, ReplicaEvent } from '../driver.ts';
import type { Color } from '../types.ts';

/** Kinds that mean the release is failing; `replaced` is the platform's own doing. */
const FAILURE_KINDS: ReadonlySet<ReplicaEvent['kind']> = new Set(['exited', 'crash-loop', 'oom-killed', 'memory-limit', 'not-ready']);

export function isFailureEvent(event: ReplicaEvent): boolean {
  return FAILURE_KINDS.has(event.kind);
}

/** How long one long poll waits; the platform answers at once when something happens. */
const POLL_WAIT_MS = 5_000;
/** After a failed poll (platform briefly unreachable), try again this soon. */
const RETRY_MS = 250;

/** `green-1 exited with code 1 (2 restarts in 4.0s) at +3.2s after the switch` */
export function describeEvent(event: ReplicaEvent, reference: { at: number; label: string; earlier?: string }): string {
  if (event.at < reference.at && reference.earlier) return `${event.detail} ${reference.earlier}`;
  const offset = (event.at - reference.at) / 1000;
  return `${event.detail} at ${offset >= 0 ? '+' : ''}${offset.toFixed(1)}s ${reference.label}`;
}

/**
 * Follows a color's replica events through the driver's long poll, so that an exit reaches the
 * core within milliseconds rather than at its next probe. Calls `onFailure` once per new failure
 * event (ids already seen are ignored, so overlapping pages and restarts of the watch are harmless).
 */
export class ReplicaEventWatch {
  readonly events: ReplicaEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly stopper = new AbortController();
  private cursor: number;
  private loop: Promise<void> | null = null;
  /** Last error reading events, for the phase's notes. */
  lastError: string | null = null;

  constructor(
    private readonly driver: PlatformDriver,
    private readonly color: Color,
    since: number,
    private readonly onFailure: (event: ReplicaEvent) => void,
    /** The retry after a failed poll waits on it (the operation's clock). */
    private readonly clock: Clock = systemClock,
  ) {
    this.cursor = since;
  }

  get supported(): boolean {
    return typeof this.driver.replicaEvents === 'function';
  }

  get failures(): ReplicaEvent[] {
    return this.events.filter(isFailureEvent);
  }

  /** Reads what is there now (no waiting); used before the switch and by verify. */
  async catchUp(): Promise<ReplicaEvent[]> {
    if (!this.driver.replicaEvents) return [];
    const page = await this.driver.replicaEvents(this.color, { since: this.cursor });
    return this.take(page.events, page.cursor);
  }

  /**
   * Reads what is there now, or waits up to `waitMs` for the next event: used when the router has
   * seen connections fail, so that a replica's exit behind them (the cause) names the verdict
   * rather than the failed requests (its effect), however the two readings happen to interleave.
   */
  async settle(waitMs: number): Promise<ReplicaEvent[]> {
    if (!this.driver.replicaEvents) return [];
    const page = await this.driver.replicaEvents(this.color, { since: this.cursor, waitMs });
    return this.take(page.events, page.cursor);
  }

  start(): this {
    if (!this.driver.replicaEvents || this.loop) return this;
    const read = this.driver.replicaEvents.bind(this.driver);
    const signal = this.stopper.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          const page = await read(this.color, { since: this.cursor, waitMs: POLL_WAIT_MS, signal });
          if (signal.aborted) break;
          this.take(page.events, page.cursor);
          this.lastError = null;
        } catch (err) {
          this.lastError = (err as Error).message;
          await this.clock.sleep(RETRY_MS, signal);
        }
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private take(events: readonly ReplicaEvent[], cursor: number): ReplicaEvent[] {
    this.cursor = Math.max(this.cursor, cursor);
    const fresh = events.filter((e) => !this.seen.has(e.id));
    for (const event of fresh) {
      this.seen.add(event.id);
      this.events.push(event);
      if (isFailureEvent(event)) this.onFailure(event);
    }
    return fresh;
  }
}
