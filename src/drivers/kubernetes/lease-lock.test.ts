// Which Lease holders LeaseLock takes for gone, from the Lease alone (a fake API that only
// answers reads). The same rules run against a real control plane in lease-holder.k8s.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.ts';
import { LeaseLock, lockedError } from './lease-lock.ts';
import type { LocalProcesses } from './lease-view.ts';

const HERE = 'boot-a pid:[4026531836]';
const SINCE = '2026-12-01T10:00:00.000Z';

/** A process table of this host: `alive` maps a pid to its start time. */
function processes(alive: Record<number, string>, machine: string | null = HERE): LocalProcesses {
  return {
    host: 'ci-runner',
    machine,
    startTimeOf: (pid) => alive[pid] ?? null,
    isAlive: (pid, startTime) => pid in alive && (!startTime || alive[pid] === startTime),
  };
}

function leaseHeldBy(record: object | undefined, identity = 'ci-runner/41/aaaa', renewedMsAgo = 1_000): V1Lease {
  const renewTime = new Date(Date.now() - renewedMsAgo) as unknown as Date;
  return {
    metadata: { name: 'shop-cutover', namespace: 'prod', annotations: record ? { 'cutover.dev/holder': JSON.stringify(record) } : {} },
    spec: { holderIdentity: identity, leaseDurationSeconds: 300, acquireTime: renewTime, renewTime },
  };
}

function lockOver(lease: V1Lease, local: LocalProcesses): LeaseLock {
  const clients = { coordination: { readNamespacedLease: async () => lease } } as unknown as KubeClients;
  return new LeaseLock({ clients, namespace: 'prod', name: 'shop-cutover', durationMs: 300_000, local });
}

const ours = { pid: 41, host: 'ci-runner', command: 'deploy v2', since: SINCE, startTime: '9001', identity: 'ci-runner/41/aaaa', machine: HERE };

async function isAbandoned(lease: V1Lease, local: LocalProcesses): Promise<boolean> {
  const lock = lockOver(lease, local);
  return lock.isAbandoned(await lock.view());
}

describe('LeaseLock: who is taken for gone', () => {
  test('a live holder in this pid namespace keeps the lock', async () => {
    assert.equal(await isAbandoned(leaseHeldBy(ours), processes({ 41: '9001' })), false);
  });

  test('a dead holder in this pid namespace loses it at once, and so does one whose pid was reused', async () => {
    assert.equal(await isAbandoned(leaseHeldBy(ours), processes({})), true);
    assert.equal(await isAbandoned(leaseHeldBy(ours), processes({ 41: '12345' })), true, 'pid 41 now has another start time');
  });

  test('a holder in another pid namespace with the same host name is left to its lease lapsing', async () => {
    assert.equal(await isAbandoned(leaseHeldBy({ ...ours, machine: 'boot-b pid:[4026532001]' }), processes({})), false);
    assert.equal(await isAbandoned(leaseHeldBy({ ...ours, machine: 'boot-b pid:[4026532001]' }, undefined, 301_000), processes({})), true, 'once expired it is free');
  });

  test('a record left by another identity (a foreign writer took the Lease) proves nothing', async () => {
    const lease = leaseHeldBy(ours, 'ops-runbook-7f3a');
    assert.equal(await isAbandoned(lease, processes({})), false);
    const view = await lockOver(lease, processes({})).view();
    assert.equal(view.recorded, false);
    assert.match(lockedError(view).message, /"ops-runbook-7f3a", a holder cutover did not record \(since /);
  });

  test('a record without a namespace id is checked by host name only where we have none either (not Linux)', async () => {
    const record = { ...ours, machine: null };
    assert.equal(await isAbandoned(leaseHeldBy(record), processes({}, null)), true);
    assert.equal(await isAbandoned(leaseHeldBy(record), processes({})), false);
  });

  test('the exit-3 error says who, since when, how fresh the lease is, when it frees itself, and which Lease', async () => {
    const error = lockedError(await lockOver(leaseHeldBy(ours), processes({ 41: '9001' })).view());
    assert.equal(error.code, 'locked');
    assert.match(error.message, new RegExp(`deploy v2 \\(pid 41 on ci-runner, since ${SINCE.replace(/\./g, '\\.')}, lease renewed 1s ago\\); if that process is gone, the lock frees itself in 29\\ds \\(Lease prod/shop-cutover\\)`));
  });
});
