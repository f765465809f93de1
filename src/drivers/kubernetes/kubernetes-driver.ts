import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Deployment, type V1Pod, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.ts';
import type {
  CheckTargets,
  Diagnosis,
  LogLine,
  LogOptions,
  PlatformDriver,
  PlatformStatus,
  ReadyReport,
  ReplicaEventPage,
  SwitchResult,
  TrafficProof,
} from '../../core/driver.ts';
import { systemClock, type Clock } from '../../core/deps.ts';
import { CutoverError } from '../../core/errors.ts';
import { otherColor, type Color, type Release } from '../../core/types.ts';
import { CheckTargetsProvider, type CheckRoute } from './check-targets.ts';
import { autoscalerFloor, autoscalersOf, copyAutoscaler, removeAutoscalers } from './autoscaler-copy.ts';
import type { ResolvedKubernetesPlatform } from './config-schema.ts';
import type { ConfigMapStateStore } from './configmap-store.ts';
import { checkDeploymentTemplate, pickContainer, readTemplate, renderDeployment } from './deployment-template.ts';
import { diagnoseApp } from './doctor.ts';
import { readEndpointCheck } from './endpoint-proof.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { clientReads } from './kube-reads.ts';
import { MaintenanceMode, type MaintenancePageOptions } from './maintenance-mode.ts';
import { runMigrationJob } from './migration-job.ts';
import { colorSelector, deploymentName, FIELD_MANAGER, FLAGS_ENV, LABEL_APP, LABEL_COLOR, MAINTENANCE_COLOR } from './object-names.ts';
import { describePod } from './pod-diagnosis.ts';
import { podEvents } from './pod-events.ts';
import { podLogs } from './pod-logs.ts';
import { readPlatformStatus } from './platform-status.ts';
import { isPodReady, livePods, rolloutProgress, versionOf } from './rollout-progress.ts';
import { waitForRollout } from './rollout-wait.ts';
import { ServiceTraffic } from './service-traffic.ts';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const VERIFY_POLL_MS = 50;
const RETIRE_WAIT_MS = 30_000;
const EVENT_POLL_MS = 250;

export interface KubernetesDriverOptions {
  clients: KubeClients;
  platform: ResolvedKubernetesPlatform;
  store: ConfigMapStateStore;
  /** Resolved from platform.checksFrom at the edge (`auto` looks at the environment there). */
  checkRoute: CheckRoute;
  /** Retry-After and the page the maintenance Deployment answers with (cutover.yaml's `maintenance`). */
  maintenancePage: MaintenancePageOptions;
  /** Every wait of the driver (rollouts, the migration Job, endpoint proof, retire, event polls) runs on it; default real time. */
  clock?: Clock;
}

/**
 * The kubernetes platform: each color is a Deployment `<app>-<color>` rendered from the user's
 * template and applied server-side; live traffic follows the `color` in the selector of the
 * user's Service; a preview Service cutover owns selects the idle color.
 */
export class KubernetesDriver implements PlatformDriver {
  readonly kind = 'kubernetes';
  readonly reportsHealth = true;
  private readonly clients: KubeClients;
  private readonly platform: ResolvedKubernetesPlatform;
  private readonly traffic: ServiceTraffic;
  private readonly checks: CheckTargetsProvider;
  private readonly maintenanceMode: MaintenanceMode;
  /** When this process last patched the selector, to time the switch up to verified endpoints. */
  private lastPatch: { to: Color; at: number } | null = null;
  private readonly clock: Clock;

  constructor(options: KubernetesDriverOptions) {
    this.clients = options.clients;
    this.clock = options.clock ?? systemClock;
    this.platform = options.platform;
    this.traffic = new ServiceTraffic({
      clients: options.clients,
      namespace: options.platform.namespace,
      active: options.platform.service,
      preview: options.platform.previewService,
    });
    this.checks = new CheckTargetsProvider({
      clients: options.clients,
      namespace: options.platform.namespace,
      app: options.platform.app,
      previewService: options.platform.previewService,
      route: options.checkRoute,
      port: options.platform.port,
    });
    this.maintenanceMode = new MaintenanceMode({ clients: options.clients, platform: options.platform, traffic: this.traffic, store: options.store, page: options.maintenancePage });
  }

  private get ns(): string {
    return this.platform.namespace;
  }

  private name(color: Color): string {
    return deploymentName(this.platform.app, color);
  }

  private readDeployment(color: Color): Promise<V1Deployment | undefined> {
    return kubeOptional(`reading Deployment ${this.ns}/${this.name(color)}`, () =>
      this.clients.apps.readNamespacedDeployment({ name: this.name(color), namespace: this.ns }));
  }

  private async appPods(): Promise<V1Pod[]> {
    const list = await kube(`listing pods of ${this.platform.app}`, () =>
      this.clients.core.listNamespacedPod({ namespace: this.ns, labelSelector: `${LABEL_APP}=${this.platform.app}` }));
    return livePods(list.items);
  }

  async checkConfig(): Promise<string> {
    return checkDeploymentTemplate(this.platform.deployment, this.platform.container, this.platform.port);
  }

  async status(): Promise<PlatformStatus> {
    return readPlatformStatus(clientReads(this.clients, this.ns), { app: this.platform.app, service: this.platform.service });
  }

  async provision(color: Color, release: Release, flags: Record<string, unknown>): Promise<void> {
    const { app, namespace } = this.platform;
    const [active, existing, other] = await Promise.all([this.traffic.readActive(), this.readDeployment(color), this.readDeployment(otherColor(color))]);
    if (!active.spec?.selector?.[LABEL_COLOR]) {
      throw new CutoverError('refused', `Service ${this.ns}/${this.traffic.active} has no \`${LABEL_COLOR}\` in its selector, so it would send traffic to every pod of ${app}, verified or not; add ${LABEL_COLOR}: ${otherColor(color)} to its selector (cutover then only ever changes that key)`);
    }
    if (ServiceTraffic.selectedColor(active) === color) await this.keepUnverifiedPodsOffline(color, existing, release);
    const image = this.platform.image.replaceAll('${version}', release.version);
    // Migrations run only when this color is about to get a new version: scaling a retired
    // color back up for a rollback must not run them again.
    if (this.platform.migrationJob && versionOf(existing) !== release.version) {
      await runMigrationJob({
        clients: this.clients,
        namespace,
        app,
        version: release.version,
        image,
        template: readTemplate(this.platform.migrationJob.template, 'Job'),
        timeoutMs: this.platform.migrationJob.timeoutMs,
        clock: this.clock,
      });
    }
    // The new color takes over the live color's whole load: it starts at the live color's
    // current replica count (a person or an HPA may have scaled it past `replicas`), and an
    // HPA aimed at the live color gets a copy aimed at this one.
    let replicas = this.platform.replicas;
    let autoscaler: V2HorizontalPodAutoscaler | undefined;
    if (ServiceTraffic.selectedColor(active) === otherColor(color) && other) {
      replicas = Math.max(replicas, other.spec?.replicas ?? 0);
      autoscaler = (await autoscalersOf(this.clients, namespace, this.name(otherColor(color))))[0];
      if (autoscaler) replicas = Math.max(replicas, autoscalerFloor(autoscaler));
    }
    const deployment = renderDeployment(readTemplate(this.platform.deployment, 'Deployment'), {
      app,
      namespace,
      color,
      version: release.version,
      image,
      replicas,
      flags,
      progressDeadlineSeconds: Math.max(1, Math.ceil(this.platform.readyTimeoutMs / 1000)),
      container: this.platform.container,
    });
    // Server-side apply with force: cutover owns the fields it sets, and a re-apply of the
    // same release changes nothing, so the pods are not restarted.
    await kube(`applying Deployment ${namespace}/${this.name(color)}`, () =>
      this.clients.objects.patch(deployment as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    if (autoscaler) await copyAutoscaler(this.clients, namespace, autoscaler, this.name(color));
    await this.traffic.pointPreviewAt(color, active);
  }

  /**
   * The color the active Service does not select: provisioning it never puts unverified pods
   * behind the Service, and the first switch moves the selector onto verified, ready pods
   * (never onto a color with none). Blue when the Service names no color.
   */
  async firstColor(): Promise<Color> {
    const selected = ServiceTraffic.selectedColor(await this.traffic.readActive());
    return selected === 'blue' || selected === 'green' ? otherColor(selected) : 'blue';
  }

  /**
   * The active Service already selects `color`, the color about to be provisioned: its new
   * pods would take live traffic the moment they turn Ready, before any check. That is fine
   * only when `color` already runs this very release (re-provisioning it changes nothing).
   * Anything else is refused rather than guessed at; cutover never parks the selector on a
   * color without ready pods.
   */
  private async keepUnverifiedPodsOffline(color: Color, existing: V1Deployment | undefined, release: Release): Promise<void> {
    const pods = await this.appPods();
    const here = pods.filter((p) => p.metadata?.labels?.[LABEL_COLOR] === color && isPodReady(p)).length;
    if (here > 0 && versionOf(existing) === release.version) return;
    if (here > 0) {
      throw new CutoverError('refused', `${color} is live (${here} ready pods of ${versionOf(existing) ?? 'a release cutover did not deploy'}); cutover never replaces the release that serves traffic: deploy to the idle color`);
    }
    throw new CutoverError('refused', `Service ${this.ns}/${this.traffic.active} selects ${color}, the color about to get ${release.version}: its pods would take traffic before they are verified. Deploy with nothing recorded as live (cutover then uses ${otherColor(color)}), or point the Service at the color that should serve`);
  }

  async waitReady(color: Color, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ReadyReport> {
    const deployment = await this.readDeployment(color);
    const done = await waitForRollout({
      clients: this.clients,
      namespace: this.ns,
      deployment: this.name(color),
      selector: colorSelector(this.platform.app, color),
      label: `${color} (${versionOf(deployment) ?? 'no release'})`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      clock: this.clock,
    });
    return { ready: done.pods.length, desired: done.progress.desired, durationMs: done.durationMs };
  }

  async targets(color: Color): Promise<CheckTargets> {
    return this.checks.targets(color, await this.traffic.readActive());
  }

  /**
   * Patches `color` into the active Service's selector, then points the preview Service at the
   * other color. Refuses (CutoverError('refused')) a color whose rollout is incomplete or whose
   * pods are not all Ready, a selector that pins labels the new pods lack, and maintenance mode.
   */
  async switchTraffic(to: Color, options: { partial?: boolean } = {}): Promise<SwitchResult> {
    const [active, deployment, pods] = await Promise.all([this.traffic.readActive(), this.readDeployment(to), this.appPods()]);
    const from = ServiceTraffic.selectedColor(active);
    if (from === MAINTENANCE_COLOR) {
      throw new CutoverError('refused', `maintenance is on (Service ${this.ns}/${this.traffic.active} selects the maintenance Deployment); run \`cutover maintenance off\` first`);
    }
    if (!deployment) throw new CutoverError('refused', `refusing to switch to ${to}: Deployment ${this.ns}/${this.name(to)} does not exist`);
    const progress = rolloutProgress(deployment);
    const own = pods.filter((p) => p.metadata?.labels?.[LABEL_COLOR] === to);
    const unready = own.filter((p) => !isPodReady(p));
    const readyOwn = own.length - unready.length;
    // partial (an emergency rollback): the ready pods take the traffic, the rest join as they turn Ready.
    if (options.partial ? readyOwn === 0 : !progress.complete || own.length === 0 || unready.length > 0) {
      const why = unready.length ? `: ${unready.slice(0, 2).map(describePod).join('; ')}` : '';
      throw new CutoverError('refused', `refusing to switch to ${to}: not all of its pods are Ready (${own.length - unready.length}/${progress.desired}; ${progress.summary})${why}`);
    }
    const podLabels = deployment.spec?.template?.metadata?.labels ?? {};
    const pinned = Object.entries(active.spec?.selector ?? {}).filter(([k, v]) => k !== LABEL_COLOR && podLabels[k] !== v);
    if (pinned.length > 0) {
      const list = pinned.map(([k, v]) => `${k}=${v}`).join(', ');
      throw new CutoverError('refused', `refusing to switch to ${to}: Service ${this.ns}/${this.traffic.active} also selects ${list}, which ${to}'s pods do not carry, so it would have no endpoints; remove ${pinned.map(([k]) => k).join(', ')} from its selector (cutover manages only color)`);
    }
    let durationMs = 0;
    if (from !== to) {
      const started = this.clock.now();
      durationMs = await this.traffic.setSelectorColor(to);
      this.lastPatch = { to, at: started };
    }
    await this.traffic.pointPreviewAt(otherColor(to), active);
    return { from, to, durationMs };
  }

  async verifyTraffic(to: Color, options: { timeoutMs?: number; partial?: boolean } = {}): Promise<TrafficProof> {
    const timeoutMs = options.timeoutMs ?? this.platform.switchTimeoutMs;
    const started = this.clock.now();
    const since = this.lastPatch?.to === to ? this.lastPatch.at : started;
    let last: Awaited<ReturnType<typeof readEndpointCheck>> | undefined;
    let lastError: string | undefined;
    while (this.clock.now() - started <= timeoutMs) {
      try {
        const active = await this.traffic.readActive();
        if (ServiceTraffic.selectedColor(active) !== to) {
          lastError = `the Service selects color=${active.spec?.selector?.[LABEL_COLOR] ?? '(none)'}, not ${to}`;
        } else {
          last = await readEndpointCheck(this.clients, this.ns, this.traffic.active, this.platform.app, to, { allowUnready: options.partial });
          if (last.ok) {
            const elapsed = this.clock.now() - since;
            const versions = [...new Set(last.endpoints.map((e) => e.version ?? '?'))].join(', ');
            return {
              ok: true,
              detail: `EndpointSlices of ${this.traffic.active} list only ${to}'s ${last.listed} ready pod${last.listed === 1 ? '' : 's'} (${versions}), ${formatDuration(elapsed)} after the patch`,
              durationMs: Math.round(elapsed),
            };
          }
          lastError = undefined;
        }
      } catch (err) {
        lastError = (err as Error).message;
      }
      await this.clock.sleep(VERIFY_POLL_MS);
    }
    const found = lastError ?? last?.problems.join('; ') ?? 'no answer from the API server';
    return { ok: false, detail: `after ${formatDuration(timeoutMs)} traffic is not proven to reach only ${to}: ${found}`, durationMs: Math.round(this.clock.now() - since) };
  }

  async retire(color: Color, options: { replicas?: number } = {}): Promise<void> {
    const replicas = options.replicas ?? 0;
    const [active, deployment] = await Promise.all([this.traffic.readActive(), this.readDeployment(color)]);
    if (!deployment) return;
    if (ServiceTraffic.selectedColor(active) === color && replicas < (deployment.spec?.replicas ?? 1)) {
      throw new CutoverError('refused', `refusing to scale ${color} down: the Service ${this.ns}/${this.traffic.active} still sends live traffic to it`);
    }
    // An HPA aimed at the retired color would scale it straight back up.
    await removeAutoscalers(this.clients, this.ns, this.name(color));
    if ((deployment.spec?.replicas ?? 1) !== replicas) {
      await kube(`scaling ${this.name(color)} to ${replicas}`, () =>
        this.clients.apps.patchNamespacedDeploymentScale({ name: this.name(color), namespace: this.ns, body: { spec: { replicas } } }, mergePatch));
    }
    // Returns once the surplus pods are terminating, so a status read right after shows the
    // color drained; the ReplicaSet controller usually needs well under a second.
    const deadline = this.clock.now() + RETIRE_WAIT_MS;
    while (this.clock.now() < deadline) {
      const running = (await this.appPods()).filter((p) => p.metadata?.labels?.[LABEL_COLOR] === color).length;
      if (running <= replicas) return;
      await this.clock.sleep(100);
    }
  }

  /** Always rolling on Kubernetes: the Deployment's own strategy replaces pods one by one. */
  async setFlags(color: Color, flags: Record<string, unknown>): Promise<void> {
    const deployment = await this.readDeployment(color);
    if (!deployment) return;
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    const container = pickContainer(containers, this.platform.container).name;
    // A strategic merge patch merges env entries by name: only FEATURE_FLAGS_JSON changes.
    // The Deployment then rolls its pods one by one (its own strategy), so the live color keeps serving.
    await kube(`setting ${FLAGS_ENV} on ${this.name(color)}`, () =>
      this.clients.apps.patchNamespacedDeployment({
        name: this.name(color),
        namespace: this.ns,
        body: { spec: { template: { spec: { containers: [{ name: container, env: [{ name: FLAGS_ENV, value: JSON.stringify(flags) }] }] } } } },
      }, strategicMerge));
    if ((deployment.spec?.replicas ?? 1) > 0) {
      await this.waitReady(color, { timeoutMs: this.platform.readyTimeoutMs });
    }
  }

  async maintenance(on: boolean, message?: string): Promise<void> {
    if (on) await this.maintenanceMode.on(message ?? 'Scheduled maintenance in progress.');
    else await this.maintenanceMode.off();
  }

  async *logs(color: Color, options: LogOptions = {}): AsyncIterable<LogLine> {
    const pods = (await this.appPods()).filter((p) => p.metadata?.labels?.[LABEL_COLOR] === color);
    yield* podLogs(this.clients, this.ns, pods, color, this.platform.container, options);
  }

  /**
   * Pod events of `color` (see pod-events.ts), read from the pods' own status, so a resume in a
   * new process sees what happened while no one watched. With `waitMs`, polls every 250 ms
   * until there is an event or the wait is over. Reads only.
   */
  async replicaEvents(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage> {
    const deadline = this.clock.now() + (options.waitMs ?? 0);
    for (;;) {
      const [deployment, list] = await Promise.all([
        this.readDeployment(color),
        kube(`listing pods of ${this.name(color)}`, () => this.clients.core.listNamespacedPod({ namespace: this.ns, labelSelector: colorSelector(this.platform.app, color) })),
      ]);
      const events = podEvents(list.items, color, options.since, Date.now());
      const page = {
        events,
        cursor: Math.max(options.since, ...events.map((e) => e.at)),
        desired: deployment?.spec?.replicas ?? 0,
        ready: livePods(list.items).filter(isPodReady).length,
      };
      const left = deadline - this.clock.now();
      if (events.length > 0 || left <= 0 || options.signal?.aborted) return page;
      await this.clock.sleep(Math.min(EVENT_POLL_MS, left), options.signal);
    }
  }

  diagnose(): Promise<Diagnosis[]> {
    return diagnoseApp({ clients: this.clients, platform: this.platform, traffic: this.traffic });
  }

  async close(): Promise<void> {
    await this.checks.close();
  }
}
