import type { ResolvedConfig } from '../../config/resolved.ts';
import { CutoverError } from '../../core/errors.ts';
import type { Platform } from '../create-platform.ts';
import { ConfigMapStateStore } from './configmap-store.ts';
import { DEFAULT_API_CALL_POLICY } from './api-call-policy.ts';
import { connectCluster } from './kube-clients.ts';
import { KubernetesDriver } from './kubernetes-driver.ts';
import { LeaseLock } from './lease-lock.ts';
import { thisHostProcesses } from './lease-view.ts';
import { stateObjectName } from './object-names.ts';

/**
 * The kubernetes platform's driver and state store (ConfigMap + Lease), from the resolved config.
 * This is the edge: the only place that looks at the environment (KUBECONFIG through the
 * client, KUBERNETES_SERVICE_HOST to tell whether cutover runs inside the cluster).
 * @throws CutoverError('config') when the kubeconfig or its context cannot be loaded.
 */
export async function createKubernetesPlatform(config: ResolvedConfig): Promise<Platform> {
  const platform = config.platform;
  if (platform.kind !== 'kubernetes') throw new CutoverError('internal', `createKubernetesPlatform called for platform ${platform.kind}`);
  const clients = connectCluster(platform.context, { ...DEFAULT_API_CALL_POLICY, timeoutMs: platform.apiTimeoutMs });
  const name = stateObjectName(platform.app);
  const lock = new LeaseLock({
    clients,
    namespace: platform.namespace,
    name,
    durationMs: platform.leaseDurationMs,
    local: thisHostProcesses(),
  });
  const store = new ConfigMapStateStore({ clients, namespace: platform.namespace, name, lock });
  const insideCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST);
  const checkRoute = platform.checksFrom === 'auto' ? (insideCluster ? 'inside' : 'outside') : platform.checksFrom;
  return { driver: new KubernetesDriver({
    clients,
    platform,
    store,
    checkRoute,
    maintenancePage: { retryAfterSec: config.maintenance.retryAfterSec, pageFile: config.maintenance.pageFile },
  }), store };
}
