// The Lease lock between two real CLI processes, and recovery after a deploy is killed with
// SIGKILL in the middle of the switch, on a real control plane.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Watch, type V1Service } from '@kubernetes/client-node';
import { APP, explain, K8sWorkspace, SERVICE, type RunningCli } from '../../../test/support/k8s-workspace.ts';
import { waitFor } from '../../../test/support/k8s-test-cluster.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: lock and resume', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-lock', { replicas: 2 });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  async function leaseHolder(): Promise<string | undefined> {
    const lease = await ws.cluster.coordination.readNamespacedLease({ name: `${APP}-cutover`, namespace: ws.namespace });
    return lease.spec?.holderIdentity || undefined;
  }

  test('given a deploy holding the Lease, a second deploy from another process exits 3 and names the holder', async () => {
    const slow = ws.writeConfig('slow.yaml', { monitorDuration: '6s' });
    const first = ws.start(['deploy', 'v2'], { config: slow });
    const identity = await waitFor('the first deploy to hold the Lease', 20_000, leaseHolder);
    assert.match(identity, new RegExp(`/${first.pid}/`), 'the Lease names the holding process');

    const second = await ws.cli(['deploy', 'v3']);
    assert.equal(second.code, 3, explain(second));
    assert.equal(second.json.error.code, 'locked');
    assert.match(second.json.error.message, new RegExp(`another operation holds the lock: deploy v2 \\(pid ${first.pid} on `));

    const status = await ws.cli(['status']);
    assert.equal(status.code, 0, `status needs no lock: ${explain(status)}`);

    const done = await first.done;
    assert.equal(done.code, 0, explain(done));
    assert.deepEqual(done.json.live, { color: 'green', version: 'v2' });
    assert.equal(await leaseHolder(), undefined, 'the Lease is released at the end');
  });

  test('given a deploy killed with SIGKILL right after it patched the Service, resume finishes it onto verified pods', async () => {
    // A watch on the Service kills the deploy the moment the API server reports the new
    // selector: the patch is done, the proof and the state record of the switch are not.
    let run: RunningCli | undefined;
    let onPatched: () => void = () => {};
    const patched = new Promise<void>((resolve) => { onPatched = resolve; });
    const watching = await new Watch(ws.cluster.kc).watch(
      `/api/v1/namespaces/${ws.namespace}/services`,
      { fieldSelector: `metadata.name=${SERVICE}` },
      (_type, svc: V1Service) => {
        if (run && svc.spec?.selector?.color === 'blue') {
          run.child.kill('SIGKILL');
          onPatched();
        }
      },
      () => {},
    );
    run = ws.start(['deploy', 'v3']);
    await Promise.race([patched, run.done.then(() => { throw new Error('the deploy ended before it patched the Service'); })]);
    watching.abort();
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL');
    const orphan = await ws.readState();
    assert.equal(orphan.operation?.phase, 'switch', 'the record shows an unfinished switch');
    assert.notEqual(await leaseHolder(), undefined, 'the dead process still holds the Lease');

    const resumed = await ws.cli(['resume']);
    assert.equal(resumed.code, 0, explain(resumed));
    assert.equal(resumed.json.outcome, 'promoted', explain(resumed));
    assert.deepEqual(resumed.json.live, { color: 'blue', version: 'v3' });

    const state = await ws.readState();
    assert.equal(state.operation, null);
    assert.equal(state.live, 'blue');
    assert.equal(await leaseHolder(), undefined);
    const slices = await ws.kubectlJson(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SERVICE}`]);
    const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP}`])).items as Json[];
    const colorOf = new Map(pods.map((p) => [p.metadata.name, p.metadata.labels.color]));
    const endpoints = slices.items.flatMap((s: Json) => s.endpoints ?? []);
    assert.deepEqual(endpoints.map((e: Json) => `${colorOf.get(e.targetRef.name)} ${e.conditions.ready}`).sort(), ['blue true', 'blue true']);
  });
});
