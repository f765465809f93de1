import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { podEvents } from './pod-events.ts';

const T0 = Date.parse('2026-12-01T20:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

function pod(name: string, options: { ready?: boolean; readySince?: number; container?: Partial<V1ContainerStatus>; deleted?: number } = {}): V1Pod {
  return {
    metadata: { name, uid: `uid-${name}`, labels: { app: 'shop', color: 'green' }, deletionTimestamp: options.deleted === undefined ? undefined : at(options.deleted) },
    status: {
      phase: 'Running',
      startTime: at(0),
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', lastTransitionTime: at(options.readySince ?? 0) }],
      containerStatuses: [{ name: 'api', image: 'x', imageID: '', ready: options.ready !== false, restartCount: 0, ...options.container }],
    },
  };
}

describe('podEvents: what the pods of a color show in their status', () => {
  test('given healthy pods, and a replacement that is still starting, there is no event', () => {
    const pods = [pod('a'), pod('b', { ready: false, readySince: 0 })];
    assert.deepEqual(podEvents(pods, 'green', 0, T0 + 5000), []);
  });

  test('given a container that restarted after exiting with code 1, one `exited` event with the evidence', () => {
    const pods = [pod('a', { container: { restartCount: 2, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: at(3) } }, state: { running: { startedAt: at(4) } } } })];
    const events = podEvents(pods, 'green', 0, T0 + 5000);
    assert.deepEqual(events.map((e) => [e.id, e.kind, e.at - T0, e.restarts]), [['uid-a:api:exit:2', 'exited', 3000, 2]]);
    assert.match(events[0]!.detail, /pod a container api exited with code 1 \(Error\), 2 restarts/);
    assert.deepEqual(podEvents(pods, 'green', T0 + 3000, T0 + 5000), [], 'nothing after the cursor');
  });

  test('given a crash stamped to the second (as the API server stores it) within the second of `since`, it is reported', () => {
    // The switch at +3.4s; the container then exits at +3.8s, which the API server keeps as +3s.
    const pods = [pod('a', { container: { restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: at(3) } }, state: { running: { startedAt: at(4) } } } })];
    assert.deepEqual(podEvents(pods, 'green', T0 + 3400, T0 + 5000).map((e) => e.id), ['uid-a:api:exit:1']);
    assert.deepEqual(podEvents(pods, 'green', T0 + 4000, T0 + 5000), [], 'a whole second later it is before `since`');
  });

  test('given an OOMKilled termination and a CrashLoopBackOff, `oom-killed` and `crash-loop` with stable ids', () => {
    const pods = [pod('a', { ready: false, readySince: 5, container: {
      restartCount: 3,
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: at(6) } },
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
    } })];
    const events = podEvents(pods, 'green', 0, T0 + 9000);
    assert.deepEqual(events.map((e) => e.kind).sort(), ['crash-loop', 'not-ready', 'oom-killed']);
    assert.match(events.find((e) => e.kind === 'oom-killed')!.detail, /was OOMKilled \(exit code 137\), 3 restarts/);
    assert.deepEqual(podEvents(pods, 'green', 0, T0 + 20_000).map((e) => e.id), events.map((e) => e.id), 'ids and times do not depend on when it is read');
  });

  test('given a pod that had been Ready and turned unready, a `not-ready` event', () => {
    const events = podEvents([pod('a', { ready: false, readySince: 8 })], 'green', 0, T0 + 9000);
    assert.deepEqual(events.map((e) => [e.kind, e.at - T0]), [['not-ready', 8000]]);
  });

  test('given a pod being deleted by its ReplicaSet, only `replaced`: not a failure', () => {
    const events = podEvents([pod('a', { deleted: 2, ready: false, readySince: 2 })], 'green', 0, T0 + 3000);
    assert.deepEqual(events.map((e) => e.kind), ['replaced']);
  });
});
