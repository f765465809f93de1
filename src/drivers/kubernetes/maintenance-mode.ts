import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import { COLORS, type Color } from '../../core/types.ts';
import type { ResolvedKubernetesPlatform } from './config-schema.ts';
import type { ConfigMapStateStore } from './configmap-store.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { filesChecksum, MAINTENANCE_MOUNT, maintenanceServerFiles, READY_PATH } from './maintenance-page-server.ts';
import {
  colorSelector,
  deploymentName,
  FIELD_MANAGER,
  LABEL_APP,
  LABEL_COLOR,
  LABEL_MANAGED_BY,
  MAINTENANCE_COLOR,
  maintenanceDeploymentName,
} from './object-names.ts';
import { MAINTENANCE_SNAPSHOT_KEY } from './platform-status.ts';
import { waitForRollout } from './rollout-wait.ts';
import { ServiceTraffic } from './service-traffic.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Everything maintenance on changes, as it was before; maintenance off puts it back. */
export interface MaintenanceSnapshot {
  selector: Record<string, string>;
  /** Replicas of each color's Deployment, or null where it did not exist. */
  replicas: Record<Color, number | null>;
  /** The banner key's previous value in the app's ConfigMap; null when the key was absent. */
  banner: { configMap: string; key: string; previous: string | null } | null;
  message: string;
  at: string;
}

/** The page settings shared with the local router (top-level `maintenance` of cutover.yaml). */
export interface MaintenancePageOptions {
  retryAfterSec: number;
  pageFile?: string;
}

/**
 * Maintenance on Kubernetes: the banner key in the app's ConfigMap, the active Service pointed
 * at a maintenance Deployment cutover manages (`<app>-maintenance`, an nginx serving 503 +
 * Retry-After + the page from the server config in ConfigMap `<app>-maintenance`), and
 * optionally both colors scaled down. The snapshot is written to the state ConfigMap before anything changes,
 * so an interrupted `on` can still be undone exactly.
 */
export class MaintenanceMode {
  private readonly clients: KubeClients;
  private readonly platform: ResolvedKubernetesPlatform;
  private readonly traffic: ServiceTraffic;
  private readonly store: ConfigMapStateStore;
  private readonly page: MaintenancePageOptions;

  constructor(options: { clients: KubeClients; platform: ResolvedKubernetesPlatform; traffic: ServiceTraffic; store: ConfigMapStateStore; page: MaintenancePageOptions }) {
    this.page = options.page;
    this.clients = options.clients;
    this.platform = options.platform;
    this.traffic = options.traffic;
    this.store = options.store;
  }

  snapshot(): Promise<MaintenanceSnapshot | null> {
    return this.store.readKey<MaintenanceSnapshot>(MAINTENANCE_SNAPSHOT_KEY);
  }

  /**
   * Turns maintenance on. Idempotent: when already on, only the banner message is updated.
   * @throws CutoverError('operation-failed') when the maintenance Deployment does not become ready
   * (the Service is then left untouched).
   */
  async on(message: string): Promise<void> {
    const { namespace, app } = this.platform;
    const active = await this.traffic.readActive();
    let snapshot = await this.snapshot();
    if (!snapshot) {
      if (ServiceTraffic.selectedColor(active) === MAINTENANCE_COLOR) {
        throw new CutoverError('refused', `Service ${namespace}/${this.traffic.active} already selects color=maintenance but cutover has no record of what it replaced; set its selector by hand first`);
      }
      snapshot = {
        selector: { ...active.spec?.selector },
        replicas: { blue: await this.replicasOf('blue'), green: await this.replicasOf('green') },
        banner: this.platform.maintenance.configMap
          ? { configMap: this.platform.maintenance.configMap, key: this.platform.maintenance.bannerKey, previous: await this.bannerValue() }
          : null,
        message,
        at: new Date().toISOString(),
      };
      await this.store.writeKey(MAINTENANCE_SNAPSHOT_KEY, snapshot);
    }
    await this.setBanner(message);
    await this.applyMaintenanceDeployment(message, active.spec?.ports?.[0]?.targetPort ?? active.spec?.ports?.[0]?.port);
    await waitForRollout({
      clients: this.clients,
      namespace,
      deployment: maintenanceDeploymentName(app),
      selector: colorSelector(app, MAINTENANCE_COLOR),
      label: 'the maintenance Deployment',
      timeoutMs: Math.min(this.platform.readyTimeoutMs, 5 * 60_000),
    });
    await this.traffic.setSelectorColor(MAINTENANCE_COLOR);
    const floor = this.platform.maintenance.scaleColorsTo;
    if (floor !== undefined) {
      for (const color of COLORS) {
        const replicas = snapshot.replicas[color];
        if (replicas !== null && replicas > floor) await this.scale(color, floor);
      }
    }
  }

  /**
   * Restores exactly what `on` changed: replica counts (waiting until the previously selected
   * color is ready again), then the Service selector, then the banner; removes the maintenance
   * Deployment. Idempotent: without a snapshot and with the Service not in maintenance, nothing happens.
   * @throws CutoverError('refused') when the Service is in maintenance but the snapshot is gone.
   */
  async off(): Promise<void> {
    const { namespace, app } = this.platform;
    const snapshot = await this.snapshot();
    const active = await this.traffic.readActive();
    if (!snapshot) {
      if (ServiceTraffic.selectedColor(active) !== MAINTENANCE_COLOR) return;
      throw new CutoverError('refused', `Service ${namespace}/${this.traffic.active} selects color=maintenance but the snapshot of its previous selector is missing from ConfigMap ${namespace}/${app}-cutover; restore the selector by hand`);
    }
    for (const color of COLORS) {
      const replicas = snapshot.replicas[color];
      if (replicas === null || replicas === (await this.replicasOf(color))) continue;
      await this.scale(color, replicas);
    }
    const liveBefore = snapshot.selector[LABEL_COLOR];
    if (COLORS.includes(liveBefore as Color) && (snapshot.replicas[liveBefore as Color] ?? 0) > 0) {
      await waitForRollout({
        clients: this.clients,
        namespace,
        deployment: deploymentName(app, liveBefore as Color),
        selector: colorSelector(app, liveBefore as Color),
        label: `${liveBefore} (scaled back up after maintenance)`,
        timeoutMs: this.platform.readyTimeoutMs,
      });
    }
    await this.traffic.setSelector(snapshot.selector);
    if (snapshot.banner) await this.restoreBanner(snapshot.banner);
    await kubeOptional(`deleting Deployment ${namespace}/${maintenanceDeploymentName(app)}`, () =>
      this.clients.apps.deleteNamespacedDeployment({ name: maintenanceDeploymentName(app), namespace }));
    await kubeOptional(`deleting ConfigMap ${namespace}/${maintenanceDeploymentName(app)}`, () =>
      this.clients.core.deleteNamespacedConfigMap({ name: maintenanceDeploymentName(app), namespace }));
    await this.store.writeKey(MAINTENANCE_SNAPSHOT_KEY, null);
  }

  private async replicasOf(color: Color): Promise<number | null> {
    const { namespace, app } = this.platform;
    const d: V1Deployment | undefined = await kubeOptional(`reading Deployment ${deploymentName(app, color)}`, () =>
      this.clients.apps.readNamespacedDeployment({ name: deploymentName(app, color), namespace }));
    return d ? d.spec?.replicas ?? 1 : null;
  }

  private async scale(color: Color, replicas: number): Promise<void> {
    const { namespace, app } = this.platform;
    await kube(`scaling ${deploymentName(app, color)} to ${replicas}`, () =>
      this.clients.apps.patchNamespacedDeploymentScale({ name: deploymentName(app, color), namespace, body: { spec: { replicas } } }, mergePatch));
  }

  private async bannerValue(): Promise<string | null> {
    const name = this.platform.maintenance.configMap!;
    const cm = await kubeOptional(`reading ConfigMap ${name}`, () =>
      this.clients.core.readNamespacedConfigMap({ name, namespace: this.platform.namespace }));
    if (!cm) throw new CutoverError('not-found', `ConfigMap ${this.platform.namespace}/${name} (platform.maintenance.configMap) does not exist`);
    return cm.data?.[this.platform.maintenance.bannerKey] ?? null;
  }

  private async setBanner(message: string): Promise<void> {
    const name = this.platform.maintenance.configMap;
    if (!name) return;
    await kube(`setting ${this.platform.maintenance.bannerKey} in ConfigMap ${name}`, () =>
      this.clients.core.patchNamespacedConfigMap(
        { name, namespace: this.platform.namespace, body: { data: { [this.platform.maintenance.bannerKey]: message } } },
        mergePatch,
      ));
  }

  private async restoreBanner(banner: NonNullable<MaintenanceSnapshot['banner']>): Promise<void> {
    // null removes the key again when it did not exist before maintenance.
    await kube(`restoring ${banner.key} in ConfigMap ${banner.configMap}`, () =>
      this.clients.core.patchNamespacedConfigMap(
        { name: banner.configMap, namespace: this.platform.namespace, body: { data: { [banner.key]: banner.previous } } },
        mergePatch,
      ));
  }

  private async applyMaintenanceDeployment(message: string, servicePort: number | string | undefined): Promise<void> {
    const { namespace, app, maintenance } = this.platform;
    const name = maintenanceDeploymentName(app);
    const port = maintenance.port ?? (typeof servicePort === 'number' ? servicePort : 8080);
    const labels = { [LABEL_APP]: app, [LABEL_COLOR]: MAINTENANCE_COLOR, [LABEL_MANAGED_BY]: FIELD_MANAGER };
    const files = maintenanceServerFiles({ port, message, retryAfterSec: this.page.retryAfterSec, pageFile: this.page.pageFile });
    const configMap: KubernetesObject & { data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels },
      data: files,
    };
    await kube(`applying the maintenance page ConfigMap ${namespace}/${name}`, () =>
      this.clients.objects.patch(configMap, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    const body: KubernetesObject & { spec: unknown } = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { [LABEL_APP]: app, [LABEL_COLOR]: MAINTENANCE_COLOR } },
        template: {
          // A changed message or page rolls the pod at once, rather than after the kubelet's
          // ConfigMap sync period.
          metadata: { labels, annotations: { 'cutover.dev/maintenance-page': filesChecksum(files) } },
          spec: {
            containers: [{
              name: 'maintenance',
              image: maintenance.image,
              ports: [{ containerPort: port, name: typeof servicePort === 'string' ? servicePort.slice(0, 15) : undefined }],
              env: [{ name: 'MAINTENANCE_MESSAGE', value: message }, { name: 'PORT', value: String(port) }],
              volumeMounts: [{ name: 'maintenance-page', mountPath: MAINTENANCE_MOUNT, readOnly: true }],
              // Ready only once the server answers: the Service is pointed at it after that.
              readinessProbe: { httpGet: { path: READY_PATH, port }, periodSeconds: 1 },
            }],
            volumes: [{ name: 'maintenance-page', configMap: { name } }],
          },
        },
      },
    };
    await kube(`applying the maintenance Deployment ${namespace}/${name}`, () =>
      this.clients.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
  }
}
