// The new color takes over the live color's load: its current replica count, and its HPA.
// kubectl is the witness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';
import { until } from '../../../test/support/until.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function readyEndpoints(ws: K8sWorkspace, color: string): Promise<number> {
  const slices = await ws.kubectlJson(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SERVICE}`]);
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[];
  const names = new Set(pods.map((p) => p.metadata.name));
  return slices.items.flatMap((s: Json) => s.endpoints ?? []).filter((e: Json) => e.conditions.ready !== false && names.has(e.targetRef?.name)).length;
}

const replicasOf = async (ws: K8sWorkspace, color: string) => (await ws.kubectlJson(['get', 'deployment', `${APP}-${color}`])).spec.replicas as number;

describe('kubernetes: replica counts and HorizontalPodAutoscalers', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-replicas', { replicas: 2, scaleDownReplicas: 1 });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  test('given the live color scaled by hand to 5, the next deploy starts the new color at 5 and switches to all 5', async () => {
    await ws.cluster.kubectl(['-n', ws.namespace, 'scale', 'deployment', `${APP}-blue`, '--replicas=5']);
    await until('blue at 5 ready endpoints', () => readyEndpoints(ws, 'blue'), (n) => n === 5);
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.match(r.json.phases.find((p: Json) => p.name === 'provision').detail, /^5\/5 replicas of v2 ready on green/);
    assert.equal(await replicasOf(ws, 'green'), 5);
    assert.equal(await until('green at 5 ready endpoints', () => readyEndpoints(ws, 'green'), (n) => n === 5), 5);
  });

  test('given an HPA on the live color, the new color gets a copy aimed at it, at least its minimum, and the retired color\'s HPA is removed', async () => {
    await ws.cluster.kubectl(['-n', ws.namespace, 'autoscale', 'deployment', `${APP}-green`, '--min=6', '--max=9', '--cpu=70%', `--name=${APP}-web`]);
    const r = await ws.cli(['deploy', 'v3']);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v3' });
    assert.ok(await replicasOf(ws, 'blue') >= 6, 'blue starts at the HPA\'s minimum of 6');
    const hpas = (await ws.kubectlJson(['get', 'hpa'])).items as Json[];
    assert.deepEqual(hpas.map((h) => `${h.metadata.name} -> ${h.spec.scaleTargetRef.name} ${h.spec.minReplicas}-${h.spec.maxReplicas}`),
      [`${APP}-blue -> ${APP}-blue 6-9`], 'one HPA, aimed at the live color; none left on green');
    assert.equal(hpas[0].spec.metrics[0].resource.target.averageUtilization, 70);
    // green was retired to scaleDown.replicas and stays there: no HPA scales it back up.
    await new Promise((res) => setTimeout(res, 3000));
    assert.equal(await replicasOf(ws, 'green'), 1);
  });
});
