import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.ts';
import { systemClock, type Clock } from '../../core/deps.ts';
import { CutoverError } from '../../core/errors.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { diagnosePods, formatDiagnosis } from './pod-diagnosis.ts';
import { isCrashLooping, isPodReady, livePods, rolloutProgress, type RolloutProgress } from './rollout-progress.ts';

const POLL_MS = 250;

export interface RolloutWaitInput {
  clients: KubeClients;
  namespace: string;
  deployment: string;
  /** Label selector of the Deployment's pods. */
  selector: string;
  /** Name used in messages, e.g. `green (v2)`. */
  label: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The polls and the timeout run on it (default: real time). */
  clock?: Clock;
}

export interface RolloutDone {
  progress: RolloutProgress;
  pods: V1Pod[];
  durationMs: number;
}

/**
 * Waits until the Deployment's rollout is complete (observedGeneration caught up; updated,
 * ready and available replicas all equal the desired count; no old pods left) and every
 * remaining pod is Ready.
 * @throws CutoverError('operation-failed') on timeout, on ProgressDeadlineExceeded, on crash-looping
 * pods or on abort, with the unready pods' conditions and container states and the latest events.
 */
export async function waitForRollout(input: RolloutWaitInput): Promise<RolloutDone> {
  const { clients, namespace } = input;
  const clock = input.clock ?? systemClock;
  const started = clock.now();
  let last: { progress: RolloutProgress; pods: V1Pod[] } | undefined;
  for (;;) {
    const deployment = await kubeOptional(`reading Deployment ${namespace}/${input.deployment}`, () =>
      clients.apps.readNamespacedDeployment({ name: input.deployment, namespace }));
    if (!deployment) throw new CutoverError('operation-failed', `${input.label}: Deployment ${namespace}/${input.deployment} does not exist`);
    const pods = livePods((await kube(`listing pods of ${input.deployment}`, () =>
      clients.core.listNamespacedPod({ namespace, labelSelector: input.selector }))).items);
    const progress = rolloutProgress(deployment);
    last = { progress, pods };
    if (progress.complete && pods.length === progress.desired && pods.every(isPodReady)) {
      return { progress, pods, durationMs: clock.now() - started };
    }
    const elapsed = clock.now() - started;
    let why: string | undefined;
    if (progress.deadlineExceeded) why = `exceeded its progress deadline (${deployment.spec?.progressDeadlineSeconds ?? 600}s)`;
    else if (pods.some(isCrashLooping)) why = 'is crash-looping';
    else if (elapsed > input.timeoutMs) why = `did not become ready within ${formatDuration(input.timeoutMs)}`;
    else if (input.signal?.aborted) why = 'stopped waiting: the operation was aborted';
    if (why) throw await rolloutFailure(input, deployment, last, why);
    await clock.sleep(POLL_MS, input.signal);
  }
}

async function rolloutFailure(input: RolloutWaitInput, deployment: V1Deployment, last: { progress: RolloutProgress; pods: V1Pod[] }, why: string): Promise<CutoverError> {
  const diagnosis = await diagnosePods(input.clients, input.namespace, last.pods, input.deployment);
  const readyCount = last.pods.filter(isPodReady).length;
  const head = `${input.label} ${why} (${readyCount}/${last.progress.desired} pods ready; ${last.progress.summary})`;
  const body = formatDiagnosis(diagnosis);
  return new CutoverError('operation-failed', body ? `${head}\n${body}` : head, {
    details: { deployment: input.deployment, progress: last.progress, pods: diagnosis.pods, events: diagnosis.events, conditions: deployment.status?.conditions ?? [] },
  });
}
