import { chmod, mkdir, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { waitHealthy } from '../../checks/wait-healthy.ts';
import type { HealthPolicy } from '../../checks/types.ts';
import { CutoverError } from '../../core/errors.ts';
import { COLORS, otherColor, type Color } from '../../core/types.ts';
import type { SplitConfig } from '../../router/router.ts';
import type { AdminBody, AdminResponse, AdminRoute, DaemonStatus, LastSwitch, RestartReport, RestoreReport, SwitchAnswer, TrafficReport } from './admin-protocol.ts';
import { parseColor, parseEventsQuery } from './admin-requests.ts';
import { AdminServer, type AdminRequest } from './admin-server.ts';
import type { DataPlane, DataPlaneOptions } from './data-plane.ts';
import { startDataPlane } from './start-data-plane.ts';
import { PRIVATE_DIR_MODE, writeFileAtomic } from './atomic-file.ts';
import { readDaemonSnapshotFile, type DaemonSnapshot, type PersistedColor, type PersistedSpec } from './daemon-state.ts';
import { startLogRotation, type LogRotationPolicy } from './log-rotation.ts';
import { findReplicaProcesses, STATE_DIR_ENV, stopReplicaProcesses } from './orphan-replicas.ts';
import { localPaths } from './paths.ts';
import type { LocalReleaseSpec } from './release-spec.ts';
import { Supervisor } from './supervisor.ts';
import type { KeeperLink } from './keeper-link.ts';

export interface DaemonOptions {
  stateDir: string;
  router: DataPlaneOptions;
  maintenance: { pageFile?: string; retryAfterSec: number };
  /** How long a rolling restart waits for each new replica. */
  readyTimeoutMs: number;
  /**
   * The config's `platform.env`. `daemon.json` keeps only the names of a release's variables
   * (their values may be secrets); a restarted daemon fills the values from here.
   */
  releaseEnv?: Readonly<Record<string, string>>;
  /** The config's health checks: a release brought back by `up` passes them before it takes traffic. */
  health?: HealthPolicy;
  /** Size cap for replica logs and daemon.log; off when absent. */
  logs?: LogRotationPolicy & { checkEveryMs?: number };
  /** false: ignore daemon.json and start empty (`cutover up --fresh`). Replicas left running are still stopped. */
  restore?: boolean;
  /**
   * The listener keeper this daemon runs under (`cutover up`): it holds the listening sockets
   * (`router.listenFds`), starts a replacement on `POST /restart`, and tells this daemon when
   * to retire. Absent for an in-process daemon, which cannot restart without a gap.
   */
  keeper?: KeeperLink;
}

/**
 * The local platform's long-running half: the router plus the process supervisor, driven
 * through the admin API. It owns no release logic; the CLI's core tells it what to run and
 * where traffic goes, and it persists that so a restart serves exactly the same thing.
 */
export class Daemon {
  /** The data plane (`router.engine`): the Node router or HAProxy. */
  readonly router: DataPlane;
  readonly supervisor: Supervisor;
  private readonly admin = new AdminServer();
  private readonly paths: ReturnType<typeof localPaths>;
  private readonly options: DaemonOptions;
  private maintenanceState: { on: boolean; message?: string } = { on: false };
  private split: SplitConfig | undefined = undefined;
  private lastSwitch: LastSwitch | null = null;
  private readonly routedUrls = new Map<Color, string>();
  private persistChain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly closeHooks: Array<() => Promise<void>> = [];
  private rotation: { stop(): void } | null = null;
  readonly restored: boolean;
  /** Set when this daemon brought back a release that was not running; see `restoring`. */
  restoreReport: RestoreReport | null = null;
  /** Settles when the brought-back release is live or has failed its checks. */
  restoring: Promise<void> = Promise.resolve();
  /** Things found at start that the user should know: a corrupt record, orphans stopped. */
  readonly startupNotes: string[] = [];
  private restartReport: RestartReport | null = null;
  /** The process that is the daemon to the outside (`daemon.pid`): the keeper when there is one. */
  private readonly pid: number;

  private constructor(options: DaemonOptions, router: DataPlane, restored: boolean) {
    this.options = options;
    this.router = router;
    this.paths = localPaths(options.stateDir);
    this.restored = restored;
    this.pid = options.keeper?.keeperPid ?? process.pid;
    this.supervisor = new Supervisor({
      logDir: this.paths.logs,
      replicaEnv: { [STATE_DIR_ENV]: resolve(options.stateDir) },
      onChange: (color) => this.syncUpstreams(color),
    });
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const paths = localPaths(options.stateDir);
    await mkdir(options.stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // An existing directory keeps its old mode through mkdir: tighten it, it holds secrets.
    await chmod(options.stateDir, PRIVATE_DIR_MODE);
    const read = options.restore === false ? { kind: 'missing' as const } : readDaemonSnapshotFile(paths.daemonState, { moveAsideCorrupt: true });
    const notes: string[] = [];
    if (read.kind === 'corrupt') {
      notes.push(`${paths.daemonState} could not be read (${read.reason})${read.movedTo ? `; kept as ${read.movedTo}` : ''}; starting without it`);
    }
    const previous = read.kind === 'ok' ? read.snapshot : null;
    // Under a keeper, every worker gets the keeper's probe token: a hand-off keeps it.
    const router = await startDataPlane({ workDir: paths.engineDir, probeToken: options.keeper?.probeToken, ...options.router });
    const daemon = new Daemon(options, router, previous !== null);
    daemon.startupNotes.push(...notes);
    try {
      if (previous) await daemon.restore(previous);
      await daemon.stopOrphans();
      daemon.registerRoutes();
      await daemon.admin.listen(paths.socket);
      // Only now, with the previous daemon's state restored: a daemon taking over the
      // listeners must answer its first request exactly as the one before it would have.
      await daemon.router.startAccepting();
      await writeFileAtomic(paths.daemonPid, String(daemon.pid));
      await daemon.persist();
    } catch (err) {
      // Replicas keep running and the old record stays: the next `up` adopts them (or, for
      // ones started here and not recorded, stops them as orphans).
      daemon.closed = true;
      await daemon.admin.close().catch(() => {});
      await daemon.router.close().catch(() => {});
      throw err;
    }
    if (options.keeper) {
      options.keeper.onRetire(() => daemon.handOver());
      options.keeper.onRestartFailed((detail) => {
        daemon.restartReport = { state: 'failed', at: Date.now(), detail };
        daemon.warn(`restart failed: ${detail}`);
      });
    }
    if (options.logs) daemon.rotation = startLogRotation([paths.logs, options.stateDir], options.logs, options.logs.checkEveryMs ?? 2_000);
    for (const note of daemon.startupNotes) daemon.warn(note);
    return daemon;
  }

  /**
   * Replicas that carry this state directory's marker but are not in the record (it was
   * corrupt, deleted, or stale) would run forever unmanaged: nothing routes to them and
   * `down` cannot see them. Stop them.
   */
  private async stopOrphans(): Promise<void> {
    const managed = new Set(COLORS.flatMap((c) => this.supervisor.replicas(c).map((r) => r.pid)).filter((p): p is number => p !== null));
    const orphans = findReplicaProcesses(this.options.stateDir).filter((pid) => !managed.has(pid));
    if (orphans.length === 0) return;
    this.startupNotes.push(`stopped ${orphans.length} replica process(es) left running without a record (pid ${orphans.join(', ')})`);
    await stopReplicaProcesses(orphans, 10_000);
  }

  /** The env values a persisted spec lost: from the config this daemon was started with. */
  private unredact(spec: PersistedSpec & { env?: Record<string, string> }): LocalReleaseSpec {
    const { envKeys, ...rest } = spec;
    const source = this.options.releaseEnv ?? {};
    const env = Object.fromEntries(envKeys.filter((k) => k in source).map((k) => [k, source[k]!]));
    return { ...rest, env };
  }

  /**
   * Serves again what the previous daemon served. After a crash: adopts live replicas,
   * restarts dead ones, re-points traffic at once (they were serving a moment ago). After
   * `down` or a reboot: starts the live color's release again and switches to it only once
   * it passes the health checks; until then the router answers 503 as it did before.
   */
  private async restore(previous: DaemonSnapshot): Promise<void> {
    const colors = previous.stopped ? (previous.live ? [previous.live] : []) : COLORS;
    let liveAdopted = true;
    for (const color of colors) {
      const snapshot: PersistedColor | undefined = previous.colors[color];
      if (!snapshot) continue;
      const replicas = previous.stopped ? snapshot.replicas.map((r) => ({ ...r, pid: null, startTime: null })) : snapshot.replicas;
      const adopted = await this.supervisor.restore(color, { spec: this.unredact(snapshot.spec), replicas });
      if (color === previous.live && adopted < replicas.length) liveAdopted = false;
    }
    await Promise.all(COLORS.map((color) => this.syncUpstreams(color)));
    const live = previous.live;
    const split = previous.split && !previous.stopped ? previous.split as SplitConfig : undefined;
    if (live && this.supervisor.replicas(live).length > 0) {
      if (liveAdopted) await this.router.switchTo(live);
      else this.restoring = this.bringBack(live, split);
    }
    this.updatePreview();
    if (previous.maintenance?.on) await this.setMaintenance(true, previous.maintenance.message);
    // A weighted split in force before the restart stays in force: the canary was verified
    // before it got any share, and the deploy that owns it (or its resume) decides its end.
    if (split && live && liveAdopted) {
      try {
        this.router.validateSplit(split);
        await this.router.setSplit(split);
        this.split = split;
      } catch {
        // The canary has no replicas any more: everyone stays on the live color.
      }
    }
  }

  /**
   * Waits for the restarted live release to accept connections and pass its health checks,
   * then switches to it. A split in force before gets the same treatment for its canary.
   */
  private async bringBack(color: Color, split: SplitConfig | undefined): Promise<void> {
    const version = this.supervisor.spec(color)?.version ?? '?';
    const report: RestoreReport = { color, version, state: 'checking', detail: 'waiting for replicas to accept connections' };
    this.restoreReport = report;
    const fail = (detail: string) => { report.state = 'failed'; report.detail = detail; this.warn(`could not bring back ${color} (${version}): ${detail}`); };
    const checked = await this.checkColor(color, (d) => { report.detail = d; });
    if (!checked.ok) return fail(checked.detail);
    if (this.closed) return fail('the daemon stopped');
    // Someone deployed meanwhile: their decision stands.
    if (this.router.live !== null) return fail(`${this.router.live} was made live meanwhile`);
    await this.persist({ live: color, split: undefined });
    await this.router.switchTo(color);
    this.updatePreview();
    report.detail = checked.detail;
    report.state = 'live';
    if (split) {
      const canary = otherColor(color);
      const canaryChecked = await this.checkColor(canary, () => {});
      if (!canaryChecked.ok || this.closed || this.router.live !== color) {
        this.warn(`the traffic split to ${canary} was not brought back: ${canaryChecked.detail}`);
        return;
      }
      try {
        this.router.validateSplit(split);
        await this.persist({ split });
        await this.router.setSplit(split);
        this.split = split;
      } catch (err) {
        this.warn(`the traffic split to ${canary} was not brought back: ${(err as Error).message}`);
      }
    }
  }

  /** Every replica of `color` accepts connections and passes the configured health checks. */
  private async checkColor(color: Color, progress: (detail: string) => void): Promise<{ ok: boolean; detail: string }> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    for (;;) {
      if (this.closed) return { ok: false, detail: 'the daemon stopped' };
      const status = this.supervisor.status(color);
      if (status.crashLooping) return { ok: false, detail: `crash-looping: ${status.detail ?? ''}` };
      if (status.desired > 0 && status.ready === status.desired) break;
      if (status.desired === 0) return { ok: false, detail: `${color} runs nothing` };
      if (Date.now() > deadline) return { ok: false, detail: `not ready within ${this.options.readyTimeoutMs}ms: ${status.detail ?? `${status.ready}/${status.desired} ready`}` };
      // The daemon watching its own real replicas (the data plane): real time, not the Clock.
      await new Promise((r) => setTimeout(r, 100));
    }
    const targets = this.supervisor.replicas(color).map((r) => ({ name: r.name, url: `http://127.0.0.1:${r.port}` }));
    if (!this.options.health) return { ok: true, detail: `${targets.length} replica(s) accept connections (no health checks configured)` };
    progress('running health checks');
    const health = await waitHealthy(targets, this.options.health, { color });
    return health.healthy ? { ok: true, detail: health.summary } : { ok: false, detail: `health checks failed: ${health.summary}` };
  }

  private warn(message: string): void {
    try {
      process.stderr.write(`cutover daemon: ${message}\n`);
    } catch { /* a full disk under daemon.log must not stop the daemon */ }
  }

  private registerRoutes(): void {
    this.admin
      .serve('GET /status', async () => this.status())
      .serve('PUT /colors/:color', async ({ params, body }) => this.provision(parseColor(params.color), body))
      .serve('DELETE /colors/:color', async ({ params }) => this.retire(parseColor(params.color)))
      .serve('PUT /colors/:color/flags', async ({ params, body }) => this.setFlags(parseColor(params.color), body.flags, body.rolling))
      .serve('POST /switch', async ({ body }) => this.switchTo(body.to))
      .serve('GET /traffic', async () => this.traffic())
      .serve('GET /probe-token', async () => ({ token: this.router.probeToken }))
      .serve('PUT /maintenance', async ({ body: { on, message } }) => {
        const next = on ? { on, message } : { on: false };
        // On disk first: an acknowledged change must survive a restart.
        await this.persist({ maintenance: next });
        await this.setMaintenance(on, message);
        return this.maintenanceState;
      })
      .serve('PUT /split', async ({ body: split }) => {
        // The router validates first (it refuses a canary with no upstreams), then the record,
        // then traffic moves: a failure at either step leaves the old split in force.
        this.router.validateSplit(split);
        await this.persist({ split });
        await this.router.setSplit(split);
        this.split = split;
        return { ok: true };
      })
      .serve('DELETE /split', async () => {
        await this.persist({ split: undefined });
        this.split = undefined;
        const ended = this.router.stats().split;
        const live = this.router.live;
        await this.router.clearSplit();
        // Ending a split is a switch for the canary: from now on it gets no new request, and
        // verifyTraffic proves that against this record.
        if (ended && live) this.lastSwitch = { from: ended.canary, to: live, at: Date.now(), oldAcceptedAtSwitch: await this.acceptedOnMain(ended.canary) };
        return { ok: true };
      })
      .serve('GET /colors/:color/events', async ({ params, query }) => {
        const color = parseColor(params.color);
        const { since, wait } = parseEventsQuery(query);
        return this.supervisor.eventPage(color, since, wait);
      })
      .serve('GET /metrics', async () => this.router.metricsText())
      .serve('GET /counters', async () => this.router.counters())
      .serve('POST /restart', async () => {
        const keeper = this.options.keeper;
        if (!keeper) throw new CutoverError('refused', 'this daemon runs in-process, with no listener keeper to hand its sockets to; stop it and start it with `cutover up`');
        if (this.restartReport?.state === 'starting') throw new CutoverError('refused', 'a restart is already under way');
        this.restartReport = { state: 'starting', at: Date.now() };
        keeper.requestRestart();
        return { pid: this.pid, workerPid: process.pid };
      })
      .serve('POST /shutdown', async () => {
        setImmediate(() => void this.shutdown());
        return { ok: true };
      });
  }

  status(): DaemonStatus {
    const color = (c: Color): DaemonStatus['colors'][Color] => ({
      ...this.supervisor.status(c),
      replicas: this.supervisor.replicas(c).map((r) => ({ name: r.name, port: r.port, pid: r.pid, phase: r.phase, url: `http://127.0.0.1:${r.port}` })),
    });
    const colors = { blue: color('blue'), green: color('green') };
    return {
      pid: this.pid,
      workerPid: process.pid,
      restart: this.restartReport,
      restored: this.restored,
      restore: this.restoreReport,
      notes: this.startupNotes,
      process: { rssBytes: process.memoryUsage.rss(), activeResources: process.getActiveResourcesInfo().length },
      live: this.router.live,
      addresses: this.router.address,
      colors,
      maintenance: this.maintenanceState,
      split: this.split ?? null,
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
    // A rollback retires the failed color right after the switch back: its requests still in
    // flight finish (or get the data plane's 504 at drainTimeout) before its processes are stopped.
    await this.router.drained(target);
    await this.router.setUpstreams(target, []);
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
        await this.router.setUpstreams(target, urls);
        this.routedUrls.set(target, urls.join(','));
      }, this.options.readyTimeoutMs);
    } else {
      await this.supervisor.ensure(target, next);
    }
    await this.persist();
    return { color: target, flags, rolling };
  }

  private async switchTo(target: Color): Promise<SwitchAnswer> {
    const status = this.supervisor.status(target);
    // The core has verified the color; this is the last line of defence against a color that
    // died in between, so that traffic never points at processes that are not there.
    if (status.desired === 0 || status.ready === 0 || status.crashLooping) {
      throw new CutoverError('refused', `${target} has ${status.ready}/${status.desired} replicas ready${status.crashLooping ? ' and is crash-looping' : ''}; refusing to switch`);
    }
    await this.syncUpstreams(target);
    const from = this.router.live;
    if (from === target) return { from, to: target, switchedAt: this.lastSwitch?.at ?? Date.now(), unchanged: true };
    // The record first: a switch the daemon acknowledged must be the one a restart restores,
    // and a switch that cannot be recorded does not happen.
    await this.persist({ live: target, split: undefined });
    const report = await this.router.switchTo(target);
    const oldAcceptedAtSwitch = report.acceptedBefore;
    // The router ends any traffic split at a switch; keep the persisted copy in step.
    this.split = undefined;
    const record: LastSwitch = { from, to: target, at: report.switchedAt, oldAcceptedAtSwitch };
    this.lastSwitch = record;
    void report.drained.then((d) => { record.drain = { completed: d.completed, timedOut: d.timedOut, durationMs: d.durationMs, websockets: d.websockets }; });
    this.updatePreview();
    // A background write queued while ours was in flight carried the old color: write again.
    this.persistQuietly();
    return { from, to: target, switchedAt: report.switchedAt };
  }

  private async traffic(): Promise<TrafficReport> {
    const last = this.lastSwitch;
    const traffic = await this.router.traffic();
    const accepted = (c: Color) => traffic[c].main.requests + traffic[c].main.inFlight;
    const oldAcceptedSince = last?.from ? accepted(last.from) - last.oldAcceptedAtSwitch : 0;
    return {
      live: this.router.live,
      engine: this.router.engine,
      lastSwitch: last,
      oldAcceptedSinceSwitch: oldAcceptedSince,
      acceptedOnMain: { blue: accepted('blue'), green: accepted('green') },
    };
  }

  /** Requests the main listener ever handed to `color`: finished ones plus those still in flight. */
  private async acceptedOnMain(target: Color): Promise<number> {
    const main = (await this.router.traffic())[target].main;
    return main.requests + main.inFlight;
  }

  private async setMaintenance(on: boolean, message?: string): Promise<void> {
    this.maintenanceState = on ? { on, message } : { on: false };
    await this.router.setMaintenance({ on, message, pageFile: this.options.maintenance.pageFile, retryAfterSec: this.options.maintenance.retryAfterSec });
  }

  /**
   * Keeps the router's pool for `color` equal to the supervisor's replicas, touching it only
   * when the set changes. Resolves once the data plane enforces it (the data plane applies
   * calls in order, so a switch made after this call sees these upstreams).
   */
  private syncUpstreams(target: Color): Promise<void> {
    if (this.closed) return Promise.resolve();
    const urls = this.supervisor.allUrls(target);
    const key = urls.join(',');
    if (this.routedUrls.get(target) === key) return Promise.resolve();
    this.routedUrls.set(target, key);
    const applied = this.router.setUpstreams(target, urls);
    this.persistQuietly();
    return applied.catch((err: Error) => this.warn(`could not give ${target} its replicas ${urls.join(', ')}: ${err.message}`));
  }

  /** The preview listener always shows the idle color, if it runs anything. */
  private updatePreview(): void {
    const live = this.router.live;
    const idle = live ? otherColor(live) : (this.supervisor.replicas('blue').length ? 'blue' : 'green');
    this.router.setPreview(this.supervisor.replicas(idle).length ? idle : null)
      .catch((err: Error) => this.warn(`could not point the preview listener at ${idle}: ${err.message}`));
  }

  private snapshot(overrides: Partial<Pick<DaemonSnapshot, 'live' | 'maintenance' | 'split'>> = {}): DaemonSnapshot {
    const colors: DaemonSnapshot['colors'] = {};
    for (const [color, group] of Object.entries(this.supervisor.snapshot()) as Array<[Color, { spec: LocalReleaseSpec; replicas: PersistedColor['replicas'] }]>) {
      const { env, ...spec } = group.spec;
      colors[color] = { spec: { ...spec, envKeys: Object.keys(env) }, replicas: group.replicas };
    }
    return {
      pid: this.pid,
      live: this.router.live,
      colors,
      maintenance: this.maintenanceState,
      split: this.split,
      ...overrides,
    };
  }

  /** Serves a route of the admin protocol that lives outside the daemon (the dashboard's `POST /dashboard`). */
  serve<R extends AdminRoute>(route: R, handler: (request: AdminRequest<AdminBody<R>>) => Promise<AdminResponse<R>>): void {
    this.admin.serve(route, handler);
  }

  /** Runs `hook` at shutdown, before the router and the replicas stop. */
  onClose(hook: () => Promise<void>): void {
    this.closeHooks.push(hook);
  }

  /**
   * Serialized, atomic: a restart always finds a complete snapshot. Rejects when the write
   * fails (a full disk), so a change is acknowledged only once it is on disk.
   */
  persist(overrides: Partial<Pick<DaemonSnapshot, 'live' | 'maintenance' | 'split'>> = {}): Promise<void> {
    const snapshot = this.snapshot(overrides);
    const write = this.persistChain.then(() => writeFileAtomic(this.paths.daemonState, `${JSON.stringify(snapshot, null, 2)}\n`));
    this.persistChain = write.catch(() => {});
    return write;
  }

  /** For changes nobody waits on (a replica restarted): a failure is logged, and the next write catches up. */
  private persistQuietly(): void {
    this.persist().catch((err) => this.warn(`could not save ${this.paths.daemonState}: ${(err as Error).message}`));
  }

  /**
   * A new daemon took over the listeners (and has restored this one's record): stop
   * accepting, finish the requests and connections in hand (up to `drainTimeout`), and leave
   * the replicas running for it. From here on this daemon writes nothing to disk.
   */
  async handOver(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.supervisor.releaseAll();
    this.rotation?.stop();
    await this.persistChain;
    for (const hook of this.closeHooks) await hook().catch(() => {});
    // The admin socket's path already belongs to the new daemon: close ours, do not unlink it.
    await this.admin.close();
    const report = await this.router.retire();
    this.warn(`handed over to the new daemon; ${report.drained ? 'every connection finished' : 'connections left after the drain timeout were closed'} in ${Math.round(report.durationMs)}ms`);
  }

  /**
   * `cutover down`: stops every process. The record stays, marked stopped, so the next `up`
   * brings back the release that was live (after its health checks).
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const hook of this.closeHooks) await hook().catch(() => {});
    this.rotation?.stop();
    const final: DaemonSnapshot = { ...this.snapshot(), split: undefined, stopped: true };
    await this.admin.close();
    await this.router.close();
    await this.supervisor.stopAll();
    await this.persistChain;
    for (const color of COLORS) final.colors[color]?.replicas.forEach((r) => { r.pid = null; r.startTime = null; });
    await writeFileAtomic(this.paths.daemonState, `${JSON.stringify(final, null, 2)}\n`)
      .catch((err) => this.warn(`could not save ${this.paths.daemonState}: ${(err as Error).message}`));
    await unlink(this.paths.daemonPid).catch(() => {});
    await unlink(this.paths.socket).catch(() => {});
    this.onShutdown?.();
  }

  onShutdown?: () => void;
}
