import type { CheckTargets, ColorStatus, PlatformDriver, PlatformStatus, ReplicaEvent, ReplicaEventPage } from '../../src/core/driver.ts';
import type { StepReport, Verifier } from '../../src/core/deps.ts';
import { COLORS, type Color, type Release } from '../../src/core/types.ts';

/**
 * A platform in memory that behaves like the Kubernetes driver's side of the replica-event
 * interface: pods with a ready count, and pod events (OOMKilled, replaced) a test injects. For
 * the core's unit tests only; the real Kubernetes driver is proven against a real API server.
 */
export class PodEventDriver implements PlatformDriver {
  readonly kind = 'pod-events-fake';
  live: Color | null = null;
  readonly colors: Record<Color, ColorStatus> = {
    blue: { version: null, desired: 0, ready: 0, crashLooping: false },
    green: { version: null, desired: 0, ready: 0, crashLooping: false },
  };
  readonly switches: Color[] = [];
  private readonly log: ReplicaEvent[] = [];
  private waiters: Array<() => void> = [];
  constructor(private readonly replicas = 3) {}

  /** What the platform would report: the event gets the platform's time now. */
  emit(event: Omit<ReplicaEvent, 'at' | 'id'>): void {
    const at = Math.max(Date.now(), (this.log.at(-1)?.at ?? 0) + 1);
    this.log.push({ ...event, at, id: `${event.replica}:${event.kind}:${at}` });
    for (const wake of this.waiters.splice(0)) wake();
  }

  async replicaEvents(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage> {
    const after = () => this.log.filter((e) => e.color === color && e.at > options.since);
    if (after().length === 0 && (options.waitMs ?? 0) > 0 && !options.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.waitMs);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
    const events = after();
    return { events, cursor: Math.max(options.since, events.at(-1)?.at ?? options.since), desired: this.colors[color].desired, ready: this.colors[color].ready };
  }

  async status(): Promise<PlatformStatus> {
    return { live: this.live, colors: { blue: { ...this.colors.blue }, green: { ...this.colors.green } }, maintenance: { on: false } };
  }
  async provision(color: Color, release: Release): Promise<void> {
    this.colors[color] = { version: release.version, desired: this.replicas, ready: this.replicas, crashLooping: false };
  }
  async waitReady(color: Color) {
    return { ready: this.colors[color].ready, desired: this.colors[color].desired, durationMs: 1 };
  }
  async targets(color: Color): Promise<CheckTargets> {
    return { replicas: Array.from({ length: this.colors[color].ready }, (_, i) => ({ name: `${color}-pod-${i}`, url: `http://pod-${i}.${color}` })), preview: `http://${color}.preview` };
  }
  async switchTraffic(to: Color) {
    const from = this.live;
    this.live = to;
    this.switches.push(to);
    return { from, to, durationMs: 1 };
  }
  async verifyTraffic() {
    return { ok: true, detail: 'endpoints list only the new color', durationMs: 1 };
  }
  async retire(color: Color): Promise<void> {
    if (COLORS.includes(color)) this.colors[color] = { version: this.colors[color].version, desired: 0, ready: 0, crashLooping: false };
  }
  async setFlags(): Promise<void> {}
  async maintenance(): Promise<void> {}
  async *logs() {}
  async close(): Promise<void> {}
}

/** Every probe passes: the pods' health endpoints are fine; only events and counts tell. */
export const passingVerifier: Verifier = {
  async health(): Promise<StepReport> { return { ok: true, summary: 'healthy' }; },
  async probe(targets): Promise<StepReport> { return { ok: true, summary: `${targets.replicas.length} checks passed` }; },
  async smoke(): Promise<StepReport> { return { ok: true, summary: 'no smoke tests' }; },
};
