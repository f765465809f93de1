import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ColorStatus, PlatformStatus } from '../../core/driver.ts';
import { CutoverError } from '../../core/errors.ts';
import { COLORS, type Color } from '../../core/types.ts';
import type { KubeReads } from './kube-reads.ts';
import { deploymentName, LABEL_APP, LABEL_COLOR, MAINTENANCE_COLOR, stateObjectName } from './object-names.ts';
import { describePod } from './pod-diagnosis.ts';
import { isCrashLooping, isPodReady, livePods, rolloutProgress, versionOf } from './rollout-progress.ts';

/** The ConfigMap key where maintenance on keeps what it changed (MaintenanceSnapshot). */
export const MAINTENANCE_SNAPSHOT_KEY = 'maintenance.json';

/** What the active Service's selector says about the color. */
export type SelectedColor = Color | typeof MAINTENANCE_COLOR | null;

/** The color the selector names, or null when it names none (first deploy) or something else. */
export function selectedColor(svc: V1Service): SelectedColor {
  const value = svc.spec?.selector?.[LABEL_COLOR];
  if (value === MAINTENANCE_COLOR) return MAINTENANCE_COLOR;
  return COLORS.includes(value as Color) ? (value as Color) : null;
}

/** The active Service; cutover never creates it, so its absence is reported with what to do. */
export function missingActiveService(namespace: string, name: string): CutoverError {
  return new CutoverError('not-found', `the active Service ${namespace}/${name} (platform.service) does not exist; create it with a selector such as {app: <app>, color: blue}: cutover only patches its color`);
}

/** Where the platform's status is read from: the names config gives the app's objects. */
export interface StatusSubject {
  app: string;
  /** The active Service (platform.service). */
  service: string;
}

/**
 * The platform's status, read from the cluster in one round of parallel GETs: the active
 * Service, both colors' Deployments, the app's pods, and the maintenance snapshot in the state
 * ConfigMap. Shared by the driver and the read-only path so both report the same.
 */
export async function readPlatformStatus(reads: KubeReads, subject: StatusSubject): Promise<PlatformStatus> {
  const { app, service } = subject;
  const [active, blue, green, pods, state] = await Promise.all([
    reads.read('Service', service),
    reads.read('Deployment', deploymentName(app, 'blue')),
    reads.read('Deployment', deploymentName(app, 'green')),
    reads.listPods(`${LABEL_APP}=${app}`, app),
    reads.read('ConfigMap', stateObjectName(app)),
  ]);
  if (!active) throw missingActiveService(reads.namespace, service);
  const snapshotText = state?.data?.[MAINTENANCE_SNAPSHOT_KEY];
  const snapshot = snapshotText ? (JSON.parse(snapshotText) as { message?: string }) : null;
  return platformStatus(active, { blue, green }, livePods(pods), snapshot);
}

/** The status from objects already read. */
export function platformStatus(active: V1Service, deployments: Record<Color, V1Deployment | undefined>, pods: V1Pod[], snapshot: { message?: string } | null): PlatformStatus {
  const selected = selectedColor(active);
  // A selector naming a color that has no Deployment (the runbooks' Service before the first
  // deploy) routes nowhere, so nothing is live.
  const live = selected === 'blue' || selected === 'green' ? (deployments[selected] ? selected : null) : null;
  const colors = {} as Record<Color, ColorStatus>;
  for (const color of COLORS) colors[color] = colorStatus(color, deployments[color], pods, selected === color);
  return {
    live,
    colors,
    maintenance: selected === MAINTENANCE_COLOR || snapshot ? { on: true, message: snapshot?.message } : { on: false },
  };
}

function colorStatus(color: Color, deployment: V1Deployment | undefined, allPods: V1Pod[], isLive: boolean): ColorStatus {
  if (!deployment) {
    return { version: null, desired: 0, ready: 0, crashLooping: false, detail: isLive ? `the Service selects ${color}, which has no Deployment yet` : undefined };
  }
  const version = versionOf(deployment);
  const pods = allPods.filter((p) => p.metadata?.labels?.[LABEL_COLOR] === color);
  const current = pods.filter((p) => versionOf(p) === version);
  const ready = current.filter(isPodReady).length;
  const desired = deployment.spec?.replicas ?? 1;
  const crashLooping = current.some(isCrashLooping);
  const progress = rolloutProgress(deployment);
  let detail: string | undefined;
  const unready = current.filter((p) => !isPodReady(p));
  if (isLive && desired > 0 && ready === 0) {
    detail = `LIVE COLOR HAS NO READY PODS (0/${desired}); cutover will not switch to pods it has not verified: ${unready.slice(0, 2).map(describePod).join('; ') || 'no pods exist'}`;
  } else if (unready.length > 0) {
    // The counts are in `ready`/`desired`; the detail says which pods and why, as the local driver's does.
    detail = unready.slice(0, 2).map(describePod).join('; ');
  } else if (progress.deadlineExceeded) {
    detail = `rollout exceeded its progress deadline (${progress.summary})`;
  } else if (!progress.complete && desired > 0) {
    detail = `rollout in progress (${progress.summary})`;
  }
  return { version, desired, ready, crashLooping, detail };
}
