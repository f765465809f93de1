import type { V1ConfigMap, V1Deployment, V1Lease, V1Pod, V1Service } from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';

/** The objects `status` and `history` read, by kind. */
export interface ReadableKinds {
  Service: V1Service;
  Deployment: V1Deployment;
  ConfigMap: V1ConfigMap;
  Lease: V1Lease;
}
export type ReadableKind = keyof ReadableKinds;

/**
 * The reads of one namespace that `status` and `history` need. Two implementations: over the
 * generated client (clientReads, what every other verb uses) and over plain HTTPS (RestReads in
 * rest-reads.ts), which spares a read-only command the client's start-up.
 */
export interface KubeReads {
  readonly namespace: string;
  /** One object, or undefined when it does not exist. @throws CutoverError (kubeError) */
  read<K extends ReadableKind>(kind: K, name: string): Promise<ReadableKinds[K] | undefined>;
  /** The pods matching a label selector; `of` names them in an error (`listing pods of shop`). @throws CutoverError (kubeError) */
  listPods(labelSelector: string, of: string): Promise<V1Pod[]>;
}

/** What a failed read was doing, in the words both implementations use. */
export const readingWhat = (kind: ReadableKind, namespace: string, name: string) => `reading ${kind} ${namespace}/${name}`;
export const listingWhat = (of: string) => `listing pods of ${of}`;

/** KubeReads over the generated client. */
export function clientReads(clients: KubeClients, namespace: string): KubeReads {
  const calls: { [K in ReadableKind]: (name: string) => Promise<ReadableKinds[K]> } = {
    Service: (name) => clients.core.readNamespacedService({ name, namespace }),
    Deployment: (name) => clients.apps.readNamespacedDeployment({ name, namespace }),
    ConfigMap: (name) => clients.core.readNamespacedConfigMap({ name, namespace }),
    Lease: (name) => clients.coordination.readNamespacedLease({ name, namespace }),
  };
  return {
    namespace,
    read: (kind, name) => kubeOptional(readingWhat(kind, namespace, name), () => calls[kind](name)),
    listPods: async (labelSelector, of) => (await kube(listingWhat(of), () => clients.core.listNamespacedPod({ namespace, labelSelector }))).items,
  };
}
