import type { Color } from '../../core/types.ts';
import type { ColorStatus, ReplicaEventPage } from '../../core/driver.ts';
import { freePort, freePorts } from './free-port.ts';
import { ReplicaEventLog } from './replica-event-log.ts';
import { ReplicaProcess, type ReplicaSnapshot } from './replica-process.ts';
import { sameRelease, type LocalReleaseSpec } from './release-spec.ts';

/** What is persisted per color so a restarted daemon can adopt running replicas. */
export interface ColorSnapshot {
  spec: LocalReleaseSpec;
  replicas: ReplicaSnapshot[];
}

/**
 * Runs each color's release as `replicas` processes and keeps them running.
 * Knows nothing about traffic: the daemon tells the router which ports to use.
 */
export class Supervisor {
  private readonly groups = new Map<Color, { spec: LocalReleaseSpec; replicas: ReplicaProcess[] }>();
  /** Exits, crash loops, memory kills and replacements, for the core's replica-event watch. */
  readonly events = new ReplicaEventLog();
  private readonly logDir: string;
  private readonly replicaEnv: Record<string, string>;
  private readonly onChange: (color: Color) => void;

  /** `replicaEnv` is added to every replica's environment (the daemon's ownership marker). */
  constructor(options: { logDir: string; replicaEnv?: Record<string, string>; onChange: (color: Color) => void }) {
    this.logDir = options.logDir;
    this.replicaEnv = options.replicaEnv ?? {};
    this.onChange = options.onChange;
  }

  spec(color: Color): LocalReleaseSpec | null {
    return this.groups.get(color)?.spec ?? null;
  }

  replicas(color: Color): readonly ReplicaProcess[] {
    return this.groups.get(color)?.replicas ?? [];
  }

  /** Ports of the replicas that accept connections now. */
  readyUrls(color: Color): string[] {
    return this.replicas(color).filter((r) => r.phase === 'ready').map((r) => `http://127.0.0.1:${r.port}`);
  }

  /** Every replica's URL, ready or not: the router ejects the ones that refuse connections. */
  allUrls(color: Color): string[] {
    return this.replicas(color).map((r) => `http://127.0.0.1:${r.port}`);
  }

  /**
   * Makes `color` run `spec`. Idempotent: the same spec already running restarts nothing.
   * A different spec stops the old processes first (the color is idle, so nothing is served from it).
   */
  async ensure(color: Color, spec: LocalReleaseSpec): Promise<'unchanged' | 'started'> {
    const current = this.groups.get(color);
    if (current && sameRelease(current.spec, spec) && current.replicas.every((r) => r.phase !== 'stopped')) {
      return 'unchanged';
    }
    if (current) await this.stop(color);
    const ports = await freePorts(spec.replicas);
    const replicas = ports.map((port, index) => this.makeReplica(color, index, port, spec));
    this.groups.set(color, { spec, replicas });
    replicas.forEach((r) => r.start());
    this.onChange(color);
    return 'started';
  }

  /**
   * Re-creates a color from a snapshot, adopting replicas that are still alive and restarting
   * the rest: on their old ports, unless another program took one while they were down.
   * Returns how many were adopted.
   */
  async restore(color: Color, snapshot: ColorSnapshot): Promise<number> {
    let adopted = 0;
    const replicas: ReplicaProcess[] = [];
    for (const r of snapshot.replicas) {
      const replica = this.makeReplica(color, r.index, r.port, snapshot.spec);
      if (replica.adopt(r)) {
        adopted++;
      } else {
        await replica.moveOffTakenPort();
        replica.start();
      }
      replicas.push(replica);
    }
    this.groups.set(color, { spec: snapshot.spec, replicas });
    return adopted;
  }

  /** Stops every replica of `color`. Idempotent. */
  async stop(color: Color): Promise<void> {
    const group = this.groups.get(color);
    if (!group) return;
    this.groups.delete(color);
    await Promise.all(group.replicas.map((r) => r.stop()));
    this.onChange(color);
  }

  /**
   * Replaces each replica of `color` one at a time with a new process running `spec`.
   * `swap(oldUrl, newUrl)` is called once the new replica is ready and before the old one is
   * stopped, so the router can move traffic with no gap.
   */
  async rollingReplace(color: Color, spec: LocalReleaseSpec, swap: (urls: string[]) => Promise<void>, readyTimeoutMs: number): Promise<void> {
    const group = this.groups.get(color);
    if (!group) throw new Error(`${color} has no processes to restart`);
    group.spec = spec;
    for (let i = 0; i < group.replicas.length; i++) {
      const old = group.replicas[i];
      const fresh = this.makeReplica(color, old.index, await freePort(), spec);
      fresh.start();
      await waitUntil(() => fresh.phase === 'ready', readyTimeoutMs, () => fresh.crashLooping,
        () => `${fresh.name} did not become ready within ${readyTimeoutMs}ms: ${fresh.describe()}`);
      group.replicas[i] = fresh;
      await swap(this.allUrls(color));
      this.events.record({ id: `${old.name}:pid${old.pid}:replaced`, kind: 'replaced', color, replica: old.name, restarts: old.restarts, detail: `${old.name} was replaced by a new process on port ${fresh.port} (rolling restart)` });
      await old.stop();
      this.onChange(color);
    }
  }

  status(color: Color): ColorStatus {
    const group = this.groups.get(color);
    if (!group) return { version: null, desired: 0, ready: 0, crashLooping: false };
    const ready = group.replicas.filter((r) => r.phase === 'ready').length;
    const crashLooping = group.replicas.some((r) => r.crashLooping);
    const troubled = group.replicas.filter((r) => r.phase !== 'ready');
    return {
      version: group.spec.version,
      desired: group.spec.replicas,
      ready,
      crashLooping,
      detail: troubled.length ? troubled.map((r) => r.describe()).join('; ') : undefined,
    };
  }

  /** Replica events of `color` after `since`, waiting up to `waitMs` for one (see ReplicaEventLog.page). */
  eventPage(color: Color, since: number, waitMs: number, signal?: AbortSignal): Promise<ReplicaEventPage> {
    return this.events.page(color, since, waitMs, () => {
      const s = this.status(color);
      return { desired: s.desired, ready: s.ready };
    }, signal);
  }

  snapshot(): Partial<Record<Color, ColorSnapshot>> {
    const out: Partial<Record<Color, ColorSnapshot>> = {};
    for (const [color, group] of this.groups) out[color] = { spec: group.spec, replicas: group.replicas.map((r) => r.snapshot()) };
    return out;
  }

  /** Lets go of every replica (see ReplicaProcess.release): a daemon that took over manages them. Idempotent. */
  releaseAll(): void {
    for (const group of this.groups.values()) group.replicas.forEach((r) => r.release());
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.groups.keys()].map((c) => this.stop(c)));
  }

  private makeReplica(color: Color, index: number, port: number, spec: LocalReleaseSpec): ReplicaProcess {
    return new ReplicaProcess({ color, index, port, spec, logDir: this.logDir, extraEnv: this.replicaEnv, onChange: () => this.onChange(color), onEvent: (e) => this.events.record(e) });
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number, failed: () => boolean, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (failed() || Date.now() > deadline) throw new Error(message());
    // The daemon watching its own real child processes: real time, not the Clock.
    await new Promise((r) => setTimeout(r, 50));
  }
}
