// The Kubernetes driver's waits (a rollout, the migration Job) run on the Clock they are given:
// under a virtual clock a one-minute timeout passes in milliseconds of real time, and the number
// of API reads is what the poll interval makes of that minute. The API answers are in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import type { KubeClients } from './kube-clients.ts';
import { KubernetesDriver } from './kubernetes-driver.ts';
import { migrationJobName, runMigrationJob } from './migration-job.ts';
import { waitForRollout } from './rollout-wait.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

/** A Deployment stuck at 1 of 2 ready pods, and a Job that never finishes. */
function stuckCluster() {
  const reads = { deployment: 0, job: 0 };
  const deployment = { metadata: { name: 'shop-green', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 } } as V1Deployment;
  const pod = (name: string, ready: boolean): V1Pod => ({ metadata: { name, labels: {} }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
  const job: V1Job = { metadata: { name: migrationJobName('shop', 'v2') }, status: { active: 1 } };
  const clients = {
    apps: { readNamespacedDeployment: async () => { reads.deployment++; return deployment; } },
    core: {
      listNamespacedPod: async () => ({ items: [pod('shop-green-a', true), pod('shop-green-b', false)] }),
      listNamespacedEvent: async () => ({ items: [] }),
      readNamespacedPodLog: async () => '',
    },
    batch: { readNamespacedJob: async () => { reads.job++; return job; } },
  } as unknown as KubeClients & { core: { readNamespacedService: () => Promise<unknown> } };
  // The active Service still selects blue (nothing patched it to green).
  clients.core.readNamespacedService = async () => ({ metadata: { name: 'shop' }, spec: { selector: { app: 'shop', color: 'blue' } } });
  return { clients, reads };
}

test('a rollout that never completes times out on the injected clock, polling every 250 ms of it', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  const { clients, reads } = stuckCluster();
  const started = performance.now();
  const waiting = waitForRollout({ clients, namespace: 'shop', deployment: 'shop-green', selector: 'app=shop,color=green', label: 'green (v2)', timeoutMs: 60_000, clock });
  await assert.rejects(clock.run(waiting), (err: unknown) => err instanceof CutoverError && /green \(v2\) did not become ready within 1m \(1\/2 pods ready/.test(err.message));
  assert.ok(performance.now() - started < 5_000, 'a minute of virtual time, not of real time');
  assert.ok(reads.deployment >= 240 && reads.deployment <= 242, `${reads.deployment} reads: one per 250 ms poll over 60 s`);
});

test('a migration Job that never completes times out on the injected clock', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  const { clients, reads } = stuckCluster();
  const started = performance.now();
  const running = runMigrationJob({ clients, namespace: 'shop', app: 'shop', version: 'v2', image: 'shop:v2', template: { spec: { template: { spec: { containers: [{ name: 'migrate', image: '${image}' }] } } } }, timeoutMs: 60_000, clock });
  await assert.rejects(clock.run(running), (err: unknown) => err instanceof CutoverError && /for v2 did not complete within 1m/.test(err.message));
  assert.ok(performance.now() - started < 5_000, 'a minute of virtual time, not of real time');
  assert.ok(reads.job > 10, `${reads.job} reads of the Job while it waited`);
});

function driverOn(clients: KubeClients, clock: VirtualClock): KubernetesDriver {
  const platform = { kind: 'kubernetes', app: 'shop', namespace: 'shop', service: 'shop', previewService: 'shop-preview', switchTimeoutMs: 30_000 };
  return new KubernetesDriver({ clients, platform: platform as never, store: {} as never, checkRoute: 'port-forward' as never, maintenancePage: {} as never, clock });
}

test('the driver\'s endpoint proof and its long poll for pod events wait on the injected clock', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  const { clients } = stuckCluster();
  const driver = driverOn(clients, clock);
  const started = performance.now();
  const proof = await clock.run(driver.verifyTraffic('green', { timeoutMs: 30_000 }));
  assert.equal(proof.ok, false);
  assert.match(proof.detail, /after 30s traffic is not proven to reach only green: the Service selects color=blue, not green/);
  assert.ok(proof.durationMs >= 30_000 && proof.durationMs < 31_000, `${proof.durationMs} ms on the clock`);
  const t0 = clock.now();
  const page = await clock.run(driver.replicaEvents('green', { since: 0, waitMs: 20_000 }));
  assert.deepEqual(page.events, []);
  assert.ok(clock.now() - t0 >= 20_000, 'the long poll waited its 20 s on the clock');
  assert.ok(performance.now() - started < 5_000, 'virtual time, not real time');
});
