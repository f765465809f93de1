import { PatchStrategy, type KubernetesObject, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.ts';
import { kube } from './kube-errors.ts';
import { FIELD_MANAGER, LABEL_MANAGED_BY } from './object-names.ts';

/**
 * HorizontalPodAutoscalers follow the live color. An HPA points at one Deployment by name, so
 * the one aimed at the live color (`<app>-blue`) would never scale the new color, and would
 * keep the retired one scaled up. cutover copies its settings to an HPA of the new color's
 * own (named after that Deployment) when it provisions the color, and removes the HPAs aimed
 * at a color when it retires it.
 */

/** HPAs in `namespace` whose scale target is the Deployment `deployment`. */
export async function autoscalersOf(clients: KubeClients, namespace: string, deployment: string): Promise<V2HorizontalPodAutoscaler[]> {
  const list = await kube(`listing HorizontalPodAutoscalers in ${namespace}`, () =>
    clients.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }));
  return list.items.filter((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === deployment);
}

/** Pure: the replicas an HPA asks for at least (its minimum, or what it last decided). */
export function autoscalerFloor(hpa: V2HorizontalPodAutoscaler): number {
  return Math.max(hpa.spec?.minReplicas ?? 1, hpa.status?.desiredReplicas ?? 0);
}

/**
 * Applies (server-side, field manager cutover) an HPA named `deployment` with `source`'s
 * settings, scaling `deployment`. Idempotent.
 */
export async function copyAutoscaler(clients: KubeClients, namespace: string, source: V2HorizontalPodAutoscaler, deployment: string): Promise<void> {
  const body: KubernetesObject & { spec: unknown } = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: deployment,
      namespace,
      labels: { ...source.metadata?.labels, [LABEL_MANAGED_BY]: FIELD_MANAGER },
      annotations: { 'cutover.dev/copied-from': source.metadata?.name ?? '' },
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
      minReplicas: source.spec?.minReplicas,
      maxReplicas: source.spec?.maxReplicas,
      metrics: source.spec?.metrics,
      behavior: source.spec?.behavior,
    },
  };
  await kube(`applying HorizontalPodAutoscaler ${namespace}/${deployment}`, () =>
    clients.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
}

/** Deletes every HPA aimed at `deployment`, so it cannot scale a retired color back up. Idempotent. */
export async function removeAutoscalers(clients: KubeClients, namespace: string, deployment: string): Promise<string[]> {
  const removed: string[] = [];
  for (const hpa of await autoscalersOf(clients, namespace, deployment)) {
    const name = hpa.metadata!.name!;
    await kube(`deleting HorizontalPodAutoscaler ${namespace}/${name}`, () =>
      clients.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace })).catch((err: unknown) => {
      if (!String((err as Error).message).includes('not found')) throw err;
    });
    removed.push(name);
  }
  return removed;
}
