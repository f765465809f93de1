// The record says what cutover did: a deploy refused before it changed anything marks no color
// failed, and a manual rollback does not mark the release rolled away from as failed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { APP, explain, K8sWorkspace } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: the record matches the cluster', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-record', { replicas: 2 });
    for (const v of ['v1', 'v2']) assert.equal((await ws.cli(['deploy', v])).code, 0);
  });
  after(() => ws.dispose());

  test('given a manual rollback, the version rolled away from is retired, not failed', async () => {
    const r = await ws.cli(['rollback']);
    assert.equal(r.code, 0, explain(r));
    const state = await ws.readState();
    assert.equal(state.live, 'blue');
    assert.equal(state.colors.green.version, 'v2');
    assert.equal(state.colors.green.state, 'retired', JSON.stringify(state.colors));
  });

  test('given a deploy refused at preflight (the live color is unhealthy), no color is marked failed and nothing is touched', async () => {
    const greenBefore = (await ws.kubectlJson(['get', 'deployment', `${APP}-green`])).metadata.generation;
    const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=blue`])).items as Json[];
    for (const pod of pods) {
      await ws.cluster.core.patchNamespacedPodStatus({ name: pod.metadata.name, namespace: ws.namespace, body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReadinessProbeFailed' }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    }
    const r = await ws.cli(['deploy', 'v3']);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.phases.find((p: Json) => p.name === 'preflight').status, 'failed', explain(r));
    const state = await ws.readState();
    assert.equal(state.colors.green.state, 'retired', `green was never touched: ${JSON.stringify(state.colors)}`);
    assert.equal(state.colors.green.version, 'v2');
    assert.equal((await ws.kubectlJson(['get', 'deployment', `${APP}-green`])).metadata.generation, greenBefore);
  });
});
