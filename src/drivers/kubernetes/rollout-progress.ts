import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { LABEL_VERSION, VERSION_ANNOTATION } from './object-names.ts';

/** Where a Deployment's rollout stands, read from its status. */
export interface RolloutProgress {
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** The controller has seen the latest spec (observedGeneration >= generation). */
  observed: boolean;
  /** Every count equals the desired replicas and the controller is caught up. */
  complete: boolean;
  /** The Progressing condition reports ProgressDeadlineExceeded. */
  deadlineExceeded: boolean;
  /** `2/3 ready, 3/3 updated, 2/3 available` */
  summary: string;
}

/** Pure. A rollout is complete when observedGeneration caught up and updated, ready and available all equal the desired count. */
export function rolloutProgress(deployment: V1Deployment): RolloutProgress {
  const desired = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  // Counting old pods still terminating would overstate readiness; total replicas must match too.
  const total = s.replicas ?? 0;
  const observed = (s.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return {
    desired,
    updated,
    ready,
    available,
    observed,
    complete: observed && updated === desired && ready === desired && available === desired && total === desired,
    deadlineExceeded: progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    summary: `${ready}/${desired} ready, ${updated}/${desired} updated, ${available}/${desired} available${observed ? '' : ' (controller has not caught up)'}`,
  };
}

/** The release version a Deployment or pod carries (annotation first: labels cannot hold every version). */
export function versionOf(object: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined): string | null {
  return object?.metadata?.annotations?.[VERSION_ANNOTATION] ?? object?.metadata?.labels?.[LABEL_VERSION] ?? null;
}

export function isPodReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
}

/** Pods that count for a color: not terminating. */
export function livePods(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

/** True when a container of the pod is waiting in CrashLoopBackOff or has restarted often. */
export function isCrashLooping(pod: V1Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some(
    (c) => c.state?.waiting?.reason === 'CrashLoopBackOff' || ((c.restartCount ?? 0) >= 3 && !c.ready),
  );
}
