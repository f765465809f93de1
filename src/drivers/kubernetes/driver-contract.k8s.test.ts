// The shared driver contract (test/support/driver-contract.ts) against the kubernetes driver on
// a real control plane. Nothing is skipped: logs come from kwok Logs objects, flags from the
// Deployment's env, and "the live address" is a pod that the Service's EndpointSlices list as
// ready, asked over real HTTP through the API server's port-forward.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { driverContract } from '../../../test/support/driver-contract.ts';
import { createKubernetesPlatform } from './index.ts';
import { openPodTunnel } from './pod-tunnel.ts';
import { APP_PORT } from '../../../test/support/k8s-pod-backends.ts';
import { K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

driverContract('kubernetes', async () => {
  const ws = await K8sWorkspace.create('contract', { replicas: 2 });
  const logFile = join(ws.dir, 'app.log');
  writeFileSync(logFile, '2026-01-01T00:00:00.000000000Z stdout F listening on :8080\n');
  const clusterLogs = `contract-${ws.namespace}`;
  await ws.cluster.custom.createClusterCustomObject({
    group: 'kwok.x-k8s.io',
    version: 'v1alpha1',
    plural: 'clusterlogs',
    body: {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: clusterLogs },
      spec: { selector: { matchNamespaces: [ws.namespace] }, logs: [{ containers: ['api'], logsFile: logFile }] },
    },
  });
  const { driver } = await createKubernetesPlatform(loadConfig(ws.configPath));
  /** GET / on a ready pod behind the active Service (the pod backends answer like the example app). */
  const askLivePod = async <T>(read: (res: Response) => Promise<T>): Promise<T | null> => {
    const slices = await ws.cluster.discovery.listNamespacedEndpointSlice({ namespace: ws.namespace, labelSelector: `kubernetes.io/service-name=${SERVICE}` });
    const pod = slices.items.flatMap((s) => s.endpoints ?? []).find((e) => e.conditions?.ready !== false)?.targetRef?.name;
    if (!pod) return null;
    const tunnel = await openPodTunnel(ws.cluster.kc, ws.namespace, pod, APP_PORT);
    try {
      return await read(await fetch(`${tunnel.url}/`, { signal: AbortSignal.timeout(5000) }));
    } finally {
      await tunnel.close();
    }
  };
  return {
    driver,
    goodVersion: 'c1',
    otherVersion: 'c2',
    liveVersion: () => askLivePod(async (res) => {
      await res.body?.cancel();
      return res.headers.get('x-cutover-version');
    }),
    liveFlags: () => askLivePod(async (res) => ((await res.json()) as { flags?: unknown }).flags ?? null),
    async cleanup() {
      await driver.close();
      await ws.cluster.custom.deleteClusterCustomObject({ group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'clusterlogs', name: clusterLogs }).catch(() => {});
      await ws.dispose();
    },
  };
});
