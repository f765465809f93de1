import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.ts';
import { isPodReady } from './rollout-progress.ts';

/** Why the pods of a rollout are not ready, as evidence a person can act on. */
export interface PodDiagnosis {
  /** One line per unready pod: false conditions and container states. */
  pods: string[];
  /** The latest events about the pods, their ReplicaSets and the Deployment, newest last. */
  events: string[];
}

/** Pure: what is wrong with one pod, e.g. `shop-green-7d9 Pending: PodScheduled=False Unschedulable (0/1 nodes are available...)`. */
export function describePod(pod: V1Pod): string {
  const parts: string[] = [];
  for (const c of pod.status?.conditions ?? []) {
    if (c.status === 'True') continue;
    parts.push(`${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? ` (${c.message})` : ''}`);
  }
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    if (c.ready) continue;
    const s = c.state ?? {};
    if (s.waiting) parts.push(`container ${c.name} waiting: ${s.waiting.reason ?? 'unknown'}${s.waiting.message ? ` (${s.waiting.message})` : ''}`);
    else if (s.terminated) parts.push(`container ${c.name} exited ${s.terminated.exitCode}${s.terminated.reason ? ` (${s.terminated.reason})` : ''}`);
    else if (s.running) parts.push(`container ${c.name} running but not ready`);
    if ((c.restartCount ?? 0) > 0) parts.push(`container ${c.name} restarted ${c.restartCount}x`);
  }
  const name = pod.metadata?.name ?? '?';
  const phase = pod.metadata?.deletionTimestamp ? 'Terminating' : pod.status?.phase ?? 'Unknown';
  return `${name} ${phase}${parts.length ? `: ${parts.join('; ')}` : ''}`;
}

/** Pure: `12:01:05 Warning FailedScheduling pod/x: 0/1 nodes are available (x3)` */
export function describeEvent(e: CoreV1Event): string {
  const at = eventTime(e);
  const when = at ? new Date(at).toISOString().slice(11, 19) : '--:--:--';
  const what = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? '?'}`;
  const count = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
  return `${when} ${e.type ?? 'Normal'} ${e.reason ?? ''} ${what}: ${(e.message ?? '').trim()}${count}`;
}

export function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/**
 * Lists the unready pods among `pods` and the latest `limit` events whose object name starts
 * with `namePrefix` (the Deployment, its ReplicaSets and their pods share it). Never throws:
 * diagnosis is best effort, an API error becomes a line of the report.
 */
export async function diagnosePods(clients: KubeClients, namespace: string, pods: readonly V1Pod[], namePrefix: string, limit = 8): Promise<PodDiagnosis> {
  const unready = pods.filter((p) => !isPodReady(p)).map(describePod);
  let events: string[];
  try {
    const list = await clients.core.listNamespacedEvent({ namespace });
    events = list.items
      .filter((e) => (e.involvedObject.name ?? '').startsWith(namePrefix))
      .sort((a, b) => eventTime(a) - eventTime(b))
      .slice(-limit)
      .map(describeEvent);
  } catch (err) {
    events = [`(events unavailable: ${(err as Error).message.split('\n')[0]})`];
  }
  return { pods: unready, events };
}

/** Pure: the diagnosis as one paragraph for an error message. */
export function formatDiagnosis(d: PodDiagnosis): string {
  const lines: string[] = [];
  if (d.pods.length) lines.push(...d.pods.slice(0, 5).map((p) => `  pod ${p}`), ...(d.pods.length > 5 ? [`  … and ${d.pods.length - 5} more unready pods`] : []));
  if (d.events.length) lines.push('  latest events:', ...d.events.map((e) => `    ${e}`));
  return lines.join('\n');
}
