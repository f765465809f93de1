import type { V1Pod } from '@kubernetes/client-node';
import type { ReplicaEvent } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';
import { isPodReady } from './rollout-progress.ts';

/** A pod whose Ready condition turned False this long after it started had been serving: it dropped, it is not starting up. */
const STARTUP_GRACE_MS = 1_000;

const ms = (t: Date | string | undefined | null): number | undefined => (t ? new Date(t).getTime() : undefined);

/**
 * Pure. The replica events that the pods of `color` show in their status, after `since`
 * (epoch ms). The kubelet keeps this evidence in the pod itself (restart counts, the last
 * termination and its reason, the waiting reason, the Ready condition's transition time), so
 * any process, a `resume` included, reads the same events; ids are derived from it and stay
 * stable across reads:
 * - a container restart or termination: `exited`, or `oom-killed` for reason OOMKilled,
 *   id `<pod uid>:<container>:exit:<restart number>`;
 * - a container waiting in CrashLoopBackOff: `crash-loop`, id `<uid>:<container>:crash-loop:<restarts>`;
 * - a pod that had been up and lost its Ready condition: `not-ready`, id `<uid>:not-ready:<transition time>`;
 * - a pod being deleted (an eviction, a drain, its ReplicaSet replacing it): `replaced`, never a failure.
 */
export function podEvents(pods: readonly V1Pod[], color: Color, since: number, now: number): ReplicaEvent[] {
  const events: ReplicaEvent[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const uid = pod.metadata?.uid ?? name;
    const deleted = ms(pod.metadata?.deletionTimestamp);
    if (deleted !== undefined) {
      events.push({ id: `${uid}:replaced`, kind: 'replaced', color, replica: name, at: deleted, restarts: restartsOf(pod), detail: `pod ${name} was deleted and is being replaced by its ReplicaSet` });
      continue;
    }
    for (const c of pod.status?.containerStatuses ?? []) {
      const restarts = c.restartCount ?? 0;
      const ended = c.state?.terminated ?? (restarts > 0 ? c.lastState?.terminated : undefined);
      if (ended) {
        const number = c.state?.terminated ? restarts + 1 : restarts;
        const oom = ended.reason === 'OOMKilled';
        const how = oom ? `was OOMKilled (exit code ${ended.exitCode})` : `exited with code ${ended.exitCode}${ended.reason ? ` (${ended.reason})` : ''}`;
        events.push({
          id: `${uid}:${c.name}:exit:${number}`,
          kind: oom ? 'oom-killed' : 'exited',
          color,
          replica: name,
          at: ms(ended.finishedAt) ?? ms(c.state?.running?.startedAt) ?? now,
          restarts,
          exitCode: ended.exitCode,
          signal: ended.signal !== undefined ? String(ended.signal) : null,
          detail: `pod ${name} container ${c.name} ${how}, ${restarts} restart${restarts === 1 ? '' : 's'}${ended.message ? `: ${ended.message}` : ''}`,
        });
      } else if (restarts > 0) {
        // The kubelet counted a restart but no longer shows its termination.
        events.push({ id: `${uid}:${c.name}:exit:${restarts}`, kind: 'exited', color, replica: name, at: ms(c.state?.running?.startedAt) ?? now, restarts, detail: `pod ${name} container ${c.name} restarted (${restarts} restarts)` });
      }
      const waiting = c.state?.waiting;
      if (waiting?.reason === 'CrashLoopBackOff') {
        events.push({
          id: `${uid}:${c.name}:crash-loop:${restarts}`,
          kind: 'crash-loop',
          color,
          replica: name,
          at: ms(c.lastState?.terminated?.finishedAt) ?? now,
          restarts,
          detail: `pod ${name} container ${c.name} is in CrashLoopBackOff after ${restarts} restart${restarts === 1 ? '' : 's'}${waiting.message ? ` (${waiting.message})` : ''}`,
        });
      }
    }
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    const started = ms(pod.status?.startTime);
    const turned = ms(ready?.lastTransitionTime);
    if (ready?.status === 'False' && started !== undefined && turned !== undefined && turned - started > STARTUP_GRACE_MS && !isPodReady(pod)) {
      events.push({
        id: `${uid}:not-ready:${turned}`,
        kind: 'not-ready',
        color,
        replica: name,
        at: turned,
        restarts: restartsOf(pod),
        detail: `pod ${name} stopped being Ready${ready.reason ? `: ${ready.reason}` : ''}${ready.message ? ` (${ready.message})` : ''}`,
      });
    }
  }
  // The API server keeps pod timestamps to the second (metav1.Time): a crash stamped 10:00:05 may
  // have happened at 10:00:05.9, after a `since` of 10:00:05.4 (the switch, in milliseconds). So a
  // `since` inside a second keeps that whole second; a whole-second `since` (a cursor this returned)
  // stays strict, so a page never repeats the events it ended with.
  const after = since % 1000 === 0 ? since : Math.floor(since / 1000) * 1000 - 1;
  return events.filter((e) => e.at > after).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}

function restartsOf(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}
