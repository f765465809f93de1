import type { V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import type { Color } from '../../core/types.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube } from './kube-errors.ts';
import { LABEL_APP, LABEL_COLOR } from './object-names.ts';
import { isPodReady, livePods, versionOf } from './rollout-progress.ts';

/** One endpoint of the Service as the EndpointSlices list it. */
export interface ListedEndpoint {
  address: string;
  ready: boolean;
  pod: string | null;
  color: string | null;
  version: string | null;
}

/** The verdict on one read of the EndpointSlices; `ok` only when traffic can reach nothing but `color`. */
export interface EndpointCheck {
  ok: boolean;
  endpoints: ListedEndpoint[];
  /** Why not ok, e.g. `1 endpoint is a blue pod (10.244.0.7, shop-blue-5f6)`. */
  problems: string[];
  /** Ready pods of the color that the slices list, and how many ready pods it has. */
  listed: number;
  readyPods: number;
}

/**
 * Pure. The Service's EndpointSlices prove a switch to `color` when they list at least one
 * endpoint, every listed endpoint is ready and belongs to a pod of `color`, and every ready pod
 * of `color` is listed (so the Service has the color's whole capacity, not a part of it).
 * `allowUnready` (an emergency rollback to a color still scaling up): endpoints of `color`
 * that are not ready yet are accepted, since a Service sends them nothing.
 */
export function checkEndpoints(app: string, color: Color, slices: readonly V1EndpointSlice[], pods: readonly V1Pod[], options: { allowUnready?: boolean } = {}): EndpointCheck {
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const endpoints: ListedEndpoint[] = slices.flatMap((slice) =>
    (slice.endpoints ?? []).flatMap((e) => {
      const podName = e.targetRef?.kind === 'Pod' ? e.targetRef.name ?? null : null;
      const pod = podName ? byName.get(podName) : undefined;
      return e.addresses.map((address) => ({
        address,
        // The API treats a missing ready condition as ready; so do we.
        ready: e.conditions?.ready !== false,
        pod: podName,
        color: pod?.metadata?.labels?.[LABEL_APP] === app ? pod.metadata.labels[LABEL_COLOR] ?? null : null,
        version: pod ? versionOf(pod) : null,
      }));
    }));
  const problems: string[] = [];
  const foreign = endpoints.filter((e) => e.color !== color);
  const unready = endpoints.filter((e) => !e.ready && !(options.allowUnready && e.color === color));
  if (!endpoints.some((e) => e.ready)) problems.push(endpoints.length === 0 ? 'the EndpointSlices list no endpoints' : 'the EndpointSlices list no ready endpoint');
  if (foreign.length > 0) {
    const sample = foreign.slice(0, 3).map((e) => `${e.address}, ${e.pod ?? 'no pod'}${e.color ? ` (${e.color})` : ''}`).join('; ');
    problems.push(`${foreign.length} endpoint${foreign.length > 1 ? 's are not' : ' is not a'} ${color} pod${foreign.length > 1 ? 's' : ''}: ${sample}`);
  }
  if (unready.length > 0) problems.push(`${unready.length} endpoint${unready.length > 1 ? 's are' : ' is'} not ready (${unready.slice(0, 3).map((e) => e.address).join(', ')})`);
  const readyPods = livePods(pods).filter((p) => p.metadata?.labels?.[LABEL_COLOR] === color && isPodReady(p));
  const listedNames = new Set(endpoints.filter((e) => e.ready && e.color === color).map((e) => e.pod));
  const listed = readyPods.filter((p) => listedNames.has(p.metadata?.name ?? '')).length;
  if (listed < readyPods.length) problems.push(`${readyPods.length - listed} of ${readyPods.length} ready ${color} pods are not listed yet`);
  return { ok: problems.length === 0, endpoints, problems, listed, readyPods: readyPods.length };
}

/** Reads the active Service's EndpointSlices and the app's pods, and checks them. */
export async function readEndpointCheck(clients: KubeClients, namespace: string, service: string, app: string, color: Color, options: { allowUnready?: boolean } = {}): Promise<EndpointCheck> {
  const [slices, pods] = await Promise.all([
    kube(`listing EndpointSlices of Service ${namespace}/${service}`, () =>
      clients.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` })),
    kube(`listing pods of ${app}`, () => clients.core.listNamespacedPod({ namespace, labelSelector: `${LABEL_APP}=${app}` })),
  ]);
  return checkEndpoints(app, color, slices.items, pods.items, options);
}
