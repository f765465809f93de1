// Pod churn around a release: pods replaced by their ReplicaSet (an eviction, a node drain,
// an autoscaler) are not a failed release. kubectl is the witness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';
import { until as waitUntil } from '../../../test/support/until.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function livePodNames(ws: K8sWorkspace, color: string): Promise<string[]> {
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[];
  return pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
}

async function readyPodNames(ws: K8sWorkspace, color: string): Promise<string[]> {
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[];
  return pods.filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata.name).sort();
}

/** The shared wait, with this file's tighter 20 s default. */
const until = <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> => waitUntil(what, read, ok, timeoutMs);

describe('kubernetes: pods replaced during the bake window', () => {
  let ws: K8sWorkspace;
  before(async () => {
    // interval 1s with the default failureThreshold of 3: a color with no ready pod for 3 s in a row is a breach.
    ws = await K8sWorkspace.create('scn-churn', { replicas: 2, monitorDuration: '14s', monitorInterval: '1s' });
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
  });
  after(() => ws.dispose());

  test('given a bake of v2 on green, when one pod and then all pods are deleted and replaced, the release is still promoted', async () => {
    const run = ws.start(['deploy', 'v2']);
    const live = await until('green to be live', async () => (await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, (c) => c === 'green', 60_000);
    assert.equal(live, 'green');
    const original = await readyPodNames(ws, 'green');
    assert.equal(original.length, 2);

    // One pod evicted: its ReplicaSet replaces it within a second or so.
    await ws.cluster.kubectl(['-n', ws.namespace, 'delete', 'pod', original[0]!, '--wait=false']);
    const afterOne = await until('a replacement pod to be Ready', () => readyPodNames(ws, 'green'), (names) => names.length === 2 && !names.includes(original[0]!));
    // Then every pod at once, as a node drain would.
    await ws.cluster.kubectl(['-n', ws.namespace, 'delete', 'pod', ...afterOne, '--wait=false']);
    const replaced = await until('two fresh Ready pods', () => readyPodNames(ws, 'green'), (names) => names.length === 2 && names.every((n) => !afterOne.includes(n) && !original.includes(n)));
    assert.equal(replaced.length, 2);

    const r = await run.done;
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted', explain(r));
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    const monitor = r.json.phases.find((p: Json) => p.name === 'monitor');
    assert.equal(monitor.status, 'succeeded', explain(r));
    // The witness: traffic stayed on green, whose current pods are the replacements.
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'green');
    assert.deepEqual(await livePodNames(ws, 'green'), replaced);
  });
});
