// Who may take over the Lease lock of a deploy that died, on a real control plane: the holder
// record names its process by pid, start time and pid namespace, so a reused pid does not keep
// a dead holder's lock, and neither a process in another container that shares our host name
// nor a Lease another writer has since taken is mistaken for our dead holder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { APP, explain, K8sWorkspace } from '../../../test/support/k8s-workspace.ts';
import { waitFor } from '../../../test/support/k8s-test-cluster.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const LEASE = `${APP}-cutover`;
const HOLDER_ANNOTATION = 'cutover.dev/holder';

describe('kubernetes: the Lease holder of a dead deploy', () => {
  let ws: K8sWorkspace;
  let config: string;
  let deadPid = 0;
  let stranger: ChildProcess | undefined;

  before(async () => {
    // A long lease: nothing here may be freed by the lease lapsing, only by what the record says.
    ws = await K8sWorkspace.create('scn-lease', { replicas: 1, leaseDuration: '300s' });
    config = ws.writeConfig('slow.yaml', { replicas: 1, leaseDuration: '300s', monitorDuration: '15s' });
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
  });
  after(async () => {
    stranger?.kill('SIGKILL');
    await ws.dispose();
  });

  async function lease(): Promise<Json> {
    return ws.cluster.coordination.readNamespacedLease({ name: LEASE, namespace: ws.namespace });
  }
  async function rewriteLease(change: (lease: Json) => void): Promise<void> {
    const current = await lease();
    change(current);
    await ws.cluster.coordination.replaceNamespacedLease({ name: LEASE, namespace: ws.namespace, body: current });
  }
  const record = (l: Json): Json => JSON.parse(l.metadata.annotations[HOLDER_ANNOTATION]);

  test('given a deploy killed with SIGKILL while it bakes, the Lease still names it, with its start time and pid namespace', async () => {
    const run = ws.start(['deploy', 'v2'], { config });
    await waitFor('the deploy to reach its bake window', 60_000, async () => ((await ws.readState())?.operation?.phase === 'monitor' ? true : undefined));
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    deadPid = run.pid;
    const held = record(await lease());
    assert.equal(held.pid, deadPid);
    assert.match(String(held.startTime), /^\d+$/, 'the kernel start time of the holder is recorded');
    assert.match(String(held.machine), /pid:\[\d+\]/, 'the pid namespace of the holder is recorded');
    assert.equal(held.identity, (await lease()).spec.holderIdentity, 'the record names the Lease identity it was written for');
  });

  test('given a process with our host name in another pid namespace (another container), resume exits 3 and names it', async () => {
    const original = record(await lease());
    await rewriteLease((l) => {
      l.metadata.annotations[HOLDER_ANNOTATION] = JSON.stringify({ ...original, machine: 'another-boot-id pid:[4026531836]' });
    });
    const resumed = await ws.cli(['resume'], { config });
    assert.equal(resumed.code, 3, explain(resumed));
    assert.equal(resumed.json.error.code, 'locked');
    assert.match(resumed.json.error.message, new RegExp(`deploy v2 \\(pid ${deadPid} on [^,]+, since ${original.since.replace(/[.]/g, '\\.')}`));
    assert.match(resumed.json.error.message, /frees itself in \d+s/);
    await rewriteLease((l) => {
      l.metadata.annotations[HOLDER_ANNOTATION] = JSON.stringify(original);
    });
  });

  test('given the Lease since taken by another writer, the stale record of our dead deploy does not free it', async () => {
    const before = await lease();
    const renewTime = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await rewriteLease((l) => {
      l.spec.holderIdentity = 'ops-runbook-7f3a';
      l.spec.renewTime = renewTime;
    });
    const resumed = await ws.cli(['resume'], { config });
    assert.equal(resumed.code, 3, explain(resumed));
    assert.match(resumed.json.error.message, /ops-runbook-7f3a/);
    assert.equal((await lease()).spec.holderIdentity, 'ops-runbook-7f3a', 'the other writer keeps its Lease');
    await rewriteLease((l) => {
      l.spec.holderIdentity = before.spec.holderIdentity;
    });
  });

  test('given the dead holder\'s pid reused by an unrelated live process, resume recovers the lock and finishes the deploy', async () => {
    stranger = spawn('sleep', ['300'], { stdio: 'ignore' });
    const original = record(await lease());
    await rewriteLease((l) => {
      l.metadata.annotations[HOLDER_ANNOTATION] = JSON.stringify({ ...original, pid: stranger!.pid });
    });
    const resumed = await ws.cli(['resume'], { config });
    assert.equal(resumed.code, 0, explain(resumed));
    assert.equal(resumed.json.outcome, 'promoted', explain(resumed));
    assert.equal(stranger.exitCode, null, 'the unrelated process is left alone');
    const after = await lease();
    assert.ok(!after.spec.holderIdentity, 'the lock is released at the end');
    assert.ok(after.spec.leaseTransitions >= 2, 'taking over a lease counts a transition');
  });
});
