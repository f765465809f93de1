import { connectTestCluster } from '../../../test/support/k8s-test-cluster.ts';
import { stateStoreContract } from '../../../test/support/state-store-contract.ts';
import { ConfigMapStateStore } from './configmap-store.ts';
import { connectCluster } from './kube-clients.ts';
import { LeaseLock } from './lease-lock.ts';
import { thisHostProcesses } from './lease-view.ts';

// The same contract as the file store, against a ConfigMap and a Lease in a real API server.
stateStoreContract('ConfigMap + Lease', async () => {
  const cluster = connectTestCluster();
  const namespace = await cluster.createNamespace('store-contract');
  const clients = connectCluster();
  const open = () => {
    const lock = new LeaseLock({ clients, namespace, name: 'contract-cutover', durationMs: 30_000, local: thisHostProcesses() });
    return new ConfigMapStateStore({ clients, namespace, name: 'contract-cutover', lock });
  };
  return { store: open(), reopen: open, cleanup: () => cluster.cleanup() };
}, { timeoutMs: 120_000 });
