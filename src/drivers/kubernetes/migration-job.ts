import { createHash } from 'node:crypto';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.ts';
import { systemClock, type Clock } from '../../core/deps.ts';
import { CutoverError } from '../../core/errors.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { FIELD_MANAGER, LABEL_APP, LABEL_MANAGED_BY, LABEL_VERSION, VERSION_ANNOTATION, versionLabel } from './object-names.ts';
import { describePod, diagnosePods, formatDiagnosis } from './pod-diagnosis.ts';

const LOG_TAIL_LINES = 20;
const POLL_MS = 500;

export interface MigrationJobInput {
  clients: KubeClients;
  namespace: string;
  app: string;
  version: string;
  /** The release image (${version} substituted), for `${image}` in the template. */
  image: string;
  /** The parsed Job template. */
  template: Record<string, unknown>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The polls and the timeouts run on it (default: real time). */
  clock?: Clock;
}

export interface MigrationJobResult {
  job: string;
  /** `ran` when this call ran it, `already-complete` when an earlier run had succeeded. */
  outcome: 'ran' | 'already-complete';
  durationMs: number;
}

/** Job names must be DNS labels of at most 63 characters; a hash keeps distinct versions distinct. */
export function migrationJobName(app: string, version: string): string {
  const slug = version.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(version).digest('hex').slice(0, 6);
  return `${app}-migrate-${slug}`.slice(0, 63 - hash.length - 1).replace(/-+$/, '') + `-${hash}`;
}

/** Pure: the Job for `version`, with ${version} and ${image} substituted anywhere in the template. */
export function renderMigrationJob(template: Record<string, unknown>, input: { app: string; namespace: string; version: string; image: string }): V1Job {
  const text = JSON.stringify(template)
    .replaceAll('${version}', jsonInner(input.version))
    .replaceAll('${image}', jsonInner(input.image));
  const job = JSON.parse(text) as V1Job;
  const labels = { [LABEL_APP]: input.app, [LABEL_VERSION]: versionLabel(input.version), [LABEL_MANAGED_BY]: FIELD_MANAGER, 'cutover.dev/role': 'migration' };
  return {
    ...job,
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...job.metadata,
      name: migrationJobName(input.app, input.version),
      namespace: input.namespace,
      labels: { ...job.metadata?.labels, ...labels },
      annotations: { ...job.metadata?.annotations, [VERSION_ANNOTATION]: input.version },
      resourceVersion: undefined,
      uid: undefined,
    },
  };
}

function jsonInner(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

function jobCondition(job: V1Job | undefined, type: 'Complete' | 'Failed'): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/**
 * Runs the migration Job of `version` to completion. Idempotent: a Job that already completed
 * for this version is not run again, one still running (an earlier process died) is waited
 * for, and one that failed is replaced by a fresh run.
 * @throws CutoverError('operation-failed') when the Job fails or times out, with its status,
 * its pods' states and the tail of their logs in the message.
 */
export async function runMigrationJob(input: MigrationJobInput): Promise<MigrationJobResult> {
  const { clients, namespace } = input;
  const clock = input.clock ?? systemClock;
  const started = clock.now();
  const body = renderMigrationJob(input.template, input);
  const name = body.metadata!.name!;
  let job = await kubeOptional(`reading Job ${namespace}/${name}`, () => clients.batch.readNamespacedJob({ name, namespace }));
  if (jobCondition(job, 'Complete')) return { job: name, outcome: 'already-complete', durationMs: 0 };
  if (job && jobCondition(job, 'Failed')) {
    await kube(`deleting the failed Job ${namespace}/${name}`, () =>
      clients.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }));
    await waitGone(input, name);
    job = undefined;
  }
  if (!job) job = await kube(`creating the migration Job ${namespace}/${name}`, () => clients.batch.createNamespacedJob({ namespace, body }));

  const deadline = started + input.timeoutMs;
  for (;;) {
    if (jobCondition(job, 'Complete')) return { job: name, outcome: 'ran', durationMs: clock.now() - started };
    const failed = jobCondition(job, 'Failed');
    if (failed || clock.now() > deadline || input.signal?.aborted) {
      const why = failed
        ? `failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}`
        : input.signal?.aborted ? 'was abandoned because the operation was aborted' : `did not complete within ${formatDuration(input.timeoutMs)}`;
      throw await jobFailure(input, name, job, why);
    }
    await clock.sleep(POLL_MS, input.signal);
    job = await kube(`reading Job ${namespace}/${name}`, () => clients.batch.readNamespacedJob({ name, namespace }));
  }
}

async function waitGone(input: MigrationJobInput, name: string): Promise<void> {
  const clock = input.clock ?? systemClock;
  const deadline = clock.now() + 30_000;
  while (clock.now() < deadline) {
    const job = await kubeOptional('reading Job', () => input.clients.batch.readNamespacedJob({ name, namespace: input.namespace }));
    if (!job) return;
    await clock.sleep(200);
  }
  throw new CutoverError('operation-failed', `the failed Job ${input.namespace}/${name} was not deleted within 30s; delete it and retry`);
}

async function jobFailure(input: MigrationJobInput, name: string, job: V1Job | undefined, why: string): Promise<CutoverError> {
  const { clients, namespace } = input;
  const s = job?.status ?? {};
  const counts = `${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed, ${s.active ?? 0} active`;
  let pods: V1Pod[] = [];
  try {
    pods = (await clients.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` })).items;
  } catch { /* reported below as missing evidence */ }
  const logs: Record<string, string> = {};
  for (const pod of pods.slice(-3)) {
    const podName = pod.metadata?.name ?? '';
    const container = pod.spec?.containers?.[0]?.name;
    try {
      const text = await clients.core.readNamespacedPodLog({ name: podName, namespace, container, tailLines: LOG_TAIL_LINES });
      logs[podName] = String(text ?? '').trimEnd() || '(no output)';
    } catch (err) {
      logs[podName] = `(logs unavailable: ${(err as Error).message.split('\n')[0]})`;
    }
  }
  const diagnosis = await diagnosePods(clients, namespace, [], name);
  const lines = [
    `migration Job ${namespace}/${name} for ${input.version} ${why} (${counts})`,
    ...pods.map((p) => `  pod ${describePod(p)}`),
    ...Object.entries(logs).flatMap(([pod, text]) => [`  logs of ${pod} (last ${LOG_TAIL_LINES} lines):`, ...text.split('\n').map((l) => `    ${l}`)]),
    formatDiagnosis(diagnosis),
  ].filter(Boolean);
  return new CutoverError('operation-failed', lines.join('\n'), { details: { job: name, status: s, logs } });
}
