import { mkdir, writeFile, unlink } from 'node:fs/promises';
import { CutoverError } from '../../core/errors.ts';
import { COLORS, otherColor, type Color } from '../../core/types.ts';
import { Router, type RouterOptions } from '../../router/router.ts';
import { AdminServer } from './admin-server.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { readDaemonSnapshot, type DaemonSnapshot } from './daemon-state.ts';
import { localPaths } from './paths.ts';
import type { LocalReleaseSpec } from './release-spec.ts';
import { Supervisor } from './supervisor.ts';

/** Longest long poll for replica events; the CLI asks again after it. */
const MAX_EVENT_WAIT_MS = 30_000;

export interface DaemonOptions {
  stateDir: string;
  router: RouterOptions;
  maintenance: { pageFile?: string; retryAfterSec: number };
  /** How long a rolling restart waits for each new replica. */
  readyTimeoutMs: number;
}

export interface LastSwitch {
  from: Color | null;
  to: Color;
  at: number;
  /** Requests the old color had accepted on the main listener at the moment of the switch. */
  oldAcceptedAtSwitch: number;
  drain?: { completed: number; timedOut: number; durationMs: number };
}

/**
 * The local platform's long-running half: the router plus the process supervisor, driven
 * through the admin API. It owns no release logic; the CLI's core tells it what to run and
 * where traffic goes, and it persists that so a restart serves exactly the same thing.
 */
export class Daemon {
  readonly router: Router;
  readonly supervisor: Supervisor;
  private readonly admin = new AdminServer();
  private readonly paths: ReturnType<typeof localPaths>;
  private readonly options: DaemonOptions;
  private maintenanceState: { on: boolean; message?: string } = { on: false };
  private split: unknown = undefined;
  private lastSwitch: LastSwitch | null = null;
  private readonly routedUrls = new Map<Color, string>();
  private persistChain: Promise<void> = Promise.resolve();
  private closed = false;
  readonly restored: boolean;

  private constructor(options: DaemonOptions, router: Router, restored: boolean) {
    this.options = options;
    this.router = router;
    this.paths = localPaths(options.stateDir);
    this.restored = restored;
    this.supervisor = new Supervisor({ logDir: this.paths.logs, onChange: (color) => this.syncUpstreams(color) });
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const paths = localPaths(options.stateDir);
    await mkdir(options.stateDir, { recursive: true });
    const previous = readDaemonSnapshot(paths.daemonState);
    const router = await Router.start(options.router);
    const daemon = new Daemon(options, router, previous !== null);
    if (previous) await daemon.restore(previous);
    daemon.registerRoutes();
    await daemon.admin.listen(paths.socket);
    await writeFile(paths.daemonPid, String(process.pid));
    await daemon.persist();
    return daemon;
  }

  /** Serves again what the previous daemon served: adopts live replicas, restarts dead ones, re-points traffic. */
  private async restore(previous: DaemonSnapshot): Promise<void> {
    for (const color of COLORS) {
      const snapshot = previous.colors[color];
      if (snapshot) this.supervisor.restore(color, snapshot);
    }
    for (const color of COLORS) this.syncUpstreams(color);
    if (previous.live && this.supervisor.replicas(previous.live).length > 0) {
      this.router.switchTo(previous.live);
    }
    this.updatePreview();
    if (previous.maintenance?.on) this.setMaintenance(true, previous.maintenance.message);
    // A weighted split in force before the restart stays in force: the canary was verified
    // before it got any share, and the deploy that owns it (or its resume) decides its end.
    if (previous.split && previous.live) {
      try {
        this.router.setSplit(previous.split as Parameters<Router['setSplit']>[0]);
        this.split = previous.split;
      } catch {
        // The canary has no replicas any more: everyone stays on the live color.
      }
    }
  }

  private registerRoutes(): void {
    this.admin
      .on('GET', '/status', async () => this.status())
      .on('PUT', '/colors/:color', async ({ params, body }) => this.provision(color(params.color), body as LocalReleaseSpec))
      .on('DELETE', '/colors/:color', async ({ params }) => this.retire(color(params.color)))
      .on('PUT', '/colors/:color/flags', async ({ params, body }) => {
        const { flags, rolling } = body as { flags: Record<string, unknown>; rolling: boolean };
        return this.setFlags(color(params.color), flags, rolling);
      })
      .on('POST', '/switch', async ({ body }) => this.switchTo(color((body as { to: string }).to)))
      .on('GET', '/traffic', async () => this.traffic())
      .on('PUT', '/maintenance', async ({ body }) => {
        const { on, message } = body as { on: boolean; message?: string };
        this.setMaintenance(on, message);
        await this.persist();
        return this.maintenanceState;
      })
      .on('PUT', '/split', async ({ body }) => {
        this.split = body;
        this.router.setSplit(body as Parameters<Router['setSplit']>[0]);
        await this.persist();
        return { ok: true };
      })
      .on('DELETE', '/split', async () => {
        this.split = undefined;
        const ended = this.router.stats().split;
        const live = this.router.live;
        this.router.clearSplit();
        // Ending a split is a switch for the canary: from now on it gets no new request, and
        // verifyTraffic proves that against this record.
        if (ended && live) this.lastSwitch = { from: ended.canary, to: live, at: Date.now(), oldAcceptedAtSwitch: this.acceptedOnMain(ended.canary) };
        await this.persist();
        return { ok: true };
      })
      .on('GET', '/colors/:color/events', async ({ params, query }) => {
        const since = Number(query.get('since') ?? 0);
        const waitMs = Math.min(Math.max(Number(query.get('wait') ?? 0), 0), MAX_EVENT_WAIT_MS);
        if (!Number.isFinite(since) || !Number.isFinite(waitMs)) throw new CutoverError('usage', 'since and wait must be numbers (epoch ms, ms)');
        return this.supervisor.eventPage(color(params.color), since, waitMs);
      })
      .on('GET', '/metrics', async () => this.router.metricsText())
      .on('POST', '/shutdown', async () => {
        setImmediate(() => void this.shutdown());
        return { ok: true };
      });
  }

  status() {
    const colors = Object.fromEntries(COLORS.map((c) => [c, {
      ...this.supervisor.status(c),
      replicas: this.supervisor.replicas(c).map((r) => ({ name: r.name, port: r.port, pid: r.pid, phase: r.phase, url: `http://127.0.0.1:${r.port}` })),
    }]));
    return {
      pid: process.pid,
      restored: this.restored,
      live: this.router.live,
      addresses: this.router.address,
      colors,
      maintenance: this.maintenanceState,
      split: this.split ?? null,
      /** The split the router enforces right now: canary color and its share of non-cohort traffic. */
      routerSplit: this.router.stats().split,
    };
  }

  private async provision(target: Color, spec: LocalReleaseSpec) {
    if (this.router.live === target) {
      throw new CutoverError('refused', `${target} is live; cutover only provisions the idle color`);
    }
    const result = await this.supervisor.ensure(target, spec);
    this.updatePreview();
    await this.persist();
    return { result };
  }

  private async retire(target: Color) {
    if (this.router.live === target) {
      throw new CutoverError('refused', `${target} is live; switch traffic away before retiring it`);
    }
    this.router.setUpstreams(target, []);
    this.routedUrls.set(target, '');
    await this.supervisor.stop(target);
    this.updatePreview();
    await this.persist();
    return { retired: target };
  }

  private async setFlags(target: Color, flags: Record<string, unknown>, rolling: boolean) {
    const spec = this.supervisor.spec(target);
    if (!spec) throw new CutoverError('not-found', `${target} runs nothing; flags apply to a running color`);
    const next = { ...spec, flags };
    if (rolling) {
      await this.supervisor.rollingReplace(target, next, async (urls) => {
        this.router.setUpstreams(target, urls);
        this.routedUrls.set(target, urls.join(','));
      }, this.options.readyTimeoutMs);
    } else {
      await this.supervisor.ensure(target, next);
    }
    await this.persist();
    return { color: target, flags, rolling };
  }

  private async switchTo(target: Color) {
    const status = this.supervisor.status(target);
    // The core has verified the color; this is the last line of defence against a color that
    // died in between, so that traffic never points at processes that are not there.
    if (status.desired === 0 || status.ready === 0 || status.crashLooping) {
      throw new CutoverError('refused', `${target} has ${status.ready}/${status.desired} replicas ready${status.crashLooping ? ' and is crash-looping' : ''}; refusing to switch`);
    }
    this.syncUpstreams(target);
    const from = this.router.live;
    if (from === target) return { from, to: target, switchedAt: this.lastSwitch?.at ?? Date.now(), unchanged: true };
    const oldAcceptedAtSwitch = from ? this.acceptedOnMain(from) : 0;
    const report = this.router.switchTo(target);
    // The router ends any traffic split at a switch; keep the persisted copy in step.
    this.split = undefined;
    const record: LastSwitch = { from, to: target, at: report.switchedAt, oldAcceptedAtSwitch };
    this.lastSwitch = record;
    void report.drained.then((d) => { record.drain = { completed: d.completed, timedOut: d.timedOut, durationMs: d.durationMs }; });
    this.updatePreview();
    await this.persist();
    return { from, to: target, switchedAt: report.switchedAt };
  }

  private traffic() {
    const last = this.lastSwitch;
    const oldAcceptedSince = last?.from ? this.acceptedOnMain(last.from) - last.oldAcceptedAtSwitch : 0;
    return {
      live: this.router.live,
      lastSwitch: last,
      oldAcceptedSinceSwitch: oldAcceptedSince,
      acceptedOnMain: { blue: this.acceptedOnMain('blue'), green: this.acceptedOnMain('green') },
    };
  }

  /** Requests the main listener ever handed to `color`: finished ones plus those still in flight. */
  private acceptedOnMain(target: Color): number {
    const main = this.router.stats().colors[target].main;
    return main.requests + main.inFlight;
  }

  private setMaintenance(on: boolean, message?: string): void {
    this.maintenanceState = on ? { on, message } : { on: false };
    this.router.setMaintenance({ on, message, pageFile: this.options.maintenance.pageFile, retryAfterSec: this.options.maintenance.retryAfterSec });
  }

  /** Keeps the router's pool for `color` equal to the supervisor's replicas, touching it only when the set changes. */
  private syncUpstreams(target: Color): void {
    if (this.closed) return;
    const urls = this.supervisor.allUrls(target);
    const key = urls.join(',');
    if (this.routedUrls.get(target) === key) return;
    this.routedUrls.set(target, key);
    this.router.setUpstreams(target, urls);
    void this.persist();
  }

  /** The preview listener always shows the idle color, if it runs anything. */
  private updatePreview(): void {
    const live = this.router.live;
    const idle = live ? otherColor(live) : (this.supervisor.replicas('blue').length ? 'blue' : 'green');
    this.router.setPreview(this.supervisor.replicas(idle).length ? idle : null);
  }

  /** Serialized, atomic: a restart always finds a complete snapshot. */
  persist(): Promise<void> {
    const snapshot: DaemonSnapshot = {
      pid: process.pid,
      live: this.router.live,
      colors: this.supervisor.snapshot(),
      maintenance: this.maintenanceState,
      split: this.split,
    };
    this.persistChain = this.persistChain.then(() => writeFileAtomic(this.paths.daemonState, `${JSON.stringify(snapshot, null, 2)}\n`)).catch(() => {});
    return this.persistChain;
  }

  /** `cutover down`: stops every process and forgets them, so the next `up` starts clean. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.admin.close();
    await this.router.close();
    await this.supervisor.stopAll();
    await this.persistChain;
    await unlink(this.paths.daemonState).catch(() => {});
    await unlink(this.paths.daemonPid).catch(() => {});
    await unlink(this.paths.socket).catch(() => {});
    this.onShutdown?.();
  }

  onShutdown?: () => void;
}

function color(value: string): Color {
  if (value !== 'blue' && value !== 'green') throw new CutoverError('usage', `unknown color "${value}" (expected blue or green)`);
  return value;
}
