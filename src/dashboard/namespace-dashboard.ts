import type { ResolvedConfig } from '../config/resolved.ts';
import { CutoverError, isCutoverError } from '../core/errors.ts';
import { COLORS, type Color } from '../core/types.ts';
import type { StatusReport } from '../core/operations/status-report.ts';
import { ConfigMapStateStore } from '../drivers/kubernetes/configmap-store.ts';
import { connectCluster, type KubeClients } from '../drivers/kubernetes/kube-clients.ts';
import { kube } from '../drivers/kubernetes/kube-errors.ts';
import { LeaseLock } from '../drivers/kubernetes/lease-lock.ts';
import { thisHostProcesses } from '../drivers/kubernetes/lease-view.ts';
import { deploymentName, LABEL_MANAGED_BY, stateObjectName } from '../drivers/kubernetes/object-names.ts';
import { CachedCatalog } from './app-catalog.ts';
import { HISTORY_ENTRIES, trafficMarkers, type AppView } from './app-view.ts';
import type { DashboardAction } from './dashboard-actions.ts';
import { ConfiguredApp, type DashboardApp } from './dashboard-app.ts';
import { DashboardServer } from './dashboard-server.ts';
import type { NoTrafficFeed } from './traffic-feed.ts';

const STATE_SUFFIX = '-cutover';

/**
 * Another app of the namespace, seen through its `<app>-cutover` ConfigMap and its two
 * Deployments. Without its config this dashboard cannot run its operations, so it is watch-only.
 */
class NamespaceApp implements DashboardApp {
  readonly name: string;
  readonly platform = 'kubernetes';
  readonly actionable = false;
  readonly traffic: NoTrafficFeed;
  private readonly clients: KubeClients;
  private readonly namespace: string;
  private readonly store: ConfigMapStateStore;

  constructor(clients: KubeClients, namespace: string, app: string, leaseDurationMs: number) {
    this.clients = clients;
    this.namespace = namespace;
    this.name = app;
    this.traffic = { source: { kind: 'none', hint: `No traffic source: ${app} is watched through its state ConfigMap only. Run \`cutover dashboard --config <its cutover.yaml>\` with dashboard.traffic.prometheus set there to chart its traffic.` } };
    const name = stateObjectName(app);
    const lock = new LeaseLock({ clients, namespace, name, durationMs: leaseDurationMs, local: thisHostProcesses() });
    this.store = new ConfigMapStateStore({ clients, namespace, name, lock });
  }

  async view(): Promise<AppView> {
    const view: AppView = { app: this.name, platform: this.platform, generatedAt: Date.now(), actions: false, status: null, state: null, history: [], logs: { blue: [], green: [] }, markers: [] };
    try {
      view.state = await this.store.load();
      view.history = await this.store.history(HISTORY_ENTRIES);
      view.markers = trafficMarkers(view.history);
      const colors = {} as StatusReport['colors'];
      for (const color of COLORS) colors[color] = { version: view.state?.colors[color].version ?? null, state: view.state?.colors[color].state ?? 'empty', healthy: null, ...(await this.readyCounts(color)) };
      const op = view.state?.operation ?? null;
      view.status = {
        app: this.name,
        live: { color: view.state?.live ?? null, version: view.state?.live ? view.state.colors[view.state.live].version : null },
        colors,
        operation: op ? { id: op.id, kind: op.kind, version: op.version, phase: op.phase, holder: `${op.holder.command} (pid ${op.holder.pid} on ${op.holder.host})`, holderGone: await this.store.isHolderGone(op.holder), waiting: op.phases.at(-1)?.status === 'waiting' } : null,
        maintenance: view.state?.maintenance ?? { on: false },
        platform: { reachable: true, live: view.state?.live ?? null },
        lastOutcome: view.state?.lastOutcome ?? null,
        warnings: [],
      };
    } catch (err) {
      if (!isCutoverError(err)) throw err;
      view.statusError = err.message;
    }
    return view;
  }

  private async readyCounts(color: Color): Promise<{ ready: number | null; desired: number | null }> {
    try {
      const d = await kube(`reading Deployment ${deploymentName(this.name, color)}`, () => this.clients.apps.readNamespacedDeployment({ name: deploymentName(this.name, color), namespace: this.namespace }));
      return { ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 0 };
    } catch {
      return { ready: null, desired: null };
    }
  }

  async act(action: DashboardAction): Promise<unknown> {
    throw new CutoverError('refused', `${action.action} on ${this.name}: this dashboard watches it without its config; run \`cutover dashboard --config <its cutover.yaml>\``);
  }

  async close(): Promise<void> {}
}

/**
 * `cutover dashboard` on Kubernetes: serves in this process, reading the ConfigMap state, the
 * Lease and the cluster through the kubeconfig as `status` does. Lists the configured app
 * (with its actions) and every other `<app>-cutover` ConfigMap of its namespace.
 */
export async function serveNamespaceDashboard(config: ResolvedConfig, listen: string): Promise<DashboardServer> {
  const platform = config.platform;
  if (platform.kind !== 'kubernetes') throw new CutoverError('internal', 'serveNamespaceDashboard needs a kubernetes config');
  const own = await ConfiguredApp.open(config.configPath);
  const clients = connectCluster(platform.context);
  const catalog = new CachedCatalog([own], async () => {
    const list = await kube(`listing ConfigMaps in ${platform.namespace}`, () => clients.core.listNamespacedConfigMap({ namespace: platform.namespace, labelSelector: `${LABEL_MANAGED_BY}=cutover` }));
    return list.items
      .map((cm) => cm.metadata?.name ?? '')
      .filter((name) => name.endsWith(STATE_SUFFIX) && name.length > STATE_SUFFIX.length)
      .map((name) => name.slice(0, -STATE_SUFFIX.length))
      .map((app) => ({ key: app, open: async () => new NamespaceApp(clients, platform.namespace, app, platform.leaseDurationMs) }));
  });
  const server = new DashboardServer({ catalog, listen });
  try {
    await server.start();
  } catch (err) {
    await catalog.close();
    throw err;
  }
  return server;
}
