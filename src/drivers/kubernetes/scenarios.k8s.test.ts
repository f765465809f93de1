// End-to-end scenarios on a real control plane: the real CLI (`bin/cutover`) drives the
// kubernetes driver against kube-apiserver, the controllers, the scheduler and kwok. kubectl
// is the independent witness of what the cluster ends up doing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1EndpointSlice } from '@kubernetes/client-node';
import { openPodTunnel } from './pod-tunnel.ts';
import { APP, explain, K8sWorkspace, SERVICE, type CliResult } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function phase(result: CliResult, name: string): Json {
  const found = (result.json?.phases ?? []).filter((p: Json) => p.name === name).at(-1);
  assert.ok(found, `no ${name} phase in the result: ${explain(result)}`);
  return found;
}

/** The ready endpoints of the active Service as kubectl sees them: `pod color`. */
async function witnessEndpoints(ws: K8sWorkspace): Promise<{ ready: string[]; notReady: number }> {
  const slices = (await ws.kubectlJson(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SERVICE}`])).items as V1EndpointSlice[];
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP}`])).items as Json[];
  const colorOf = new Map(pods.map((p) => [p.metadata.name, p.metadata.labels.color]));
  const endpoints = slices.flatMap((s) => s.endpoints ?? []);
  return {
    ready: endpoints.filter((e) => e.conditions?.ready !== false).map((e) => colorOf.get(e.targetRef?.name ?? '') ?? 'unknown').sort(),
    notReady: endpoints.filter((e) => e.conditions?.ready === false).length,
  };
}

async function deploymentReplicas(ws: K8sWorkspace, color: string): Promise<number | null> {
  try {
    const d = await ws.kubectlJson(['get', 'deployment', `${APP}-${color}`]);
    return d.spec.replicas;
  } catch {
    return null;
  }
}

/** Name and resourceVersion of each pod of `color`: unchanged means untouched. */
async function podIdentities(ws: K8sWorkspace, color: string): Promise<string[]> {
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[];
  return pods.map((p) => p.metadata.name).sort();
}

function flagsEnv(deployment: Json): unknown {
  const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
  return JSON.parse(env.find((e) => e.name === 'FEATURE_FLAGS_JSON')?.value ?? 'null');
}

/** The witness, polled until it shows `expected` or 15 s pass; returns the last reading. */
async function settledEndpoints(ws: K8sWorkspace, expected: { ready: string[]; notReady: number }): Promise<{ ready: string[]; notReady: number }> {
  const deadline = Date.now() + 15_000;
  let last = await witnessEndpoints(ws);
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await witnessEndpoints(ws);
  }
  return last;
}

/** What a pod of `color` serves on `/`, through the API server's port-forward. */
async function servedBy(ws: K8sWorkspace, color: string): Promise<Json[]> {
  const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[];
  const answers: Json[] = [];
  for (const pod of pods.filter((p) => !p.metadata.deletionTimestamp)) {
    const tunnel = await openPodTunnel(ws.cluster.kc, ws.namespace, pod.metadata.name, 8080);
    try {
      answers.push(await (await fetch(`${tunnel.url}/`)).json());
    } finally {
      await tunnel.close();
    }
  }
  return answers;
}

describe('kubernetes: a release goes live, is replaced, and is rolled back to', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-main', { replicas: 2, progressDeadline: '8s' });
  });
  after(() => ws.dispose());

  test('first deploy: v1 goes live on blue; the Service selects blue and its slices list only blue pods', async () => {
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.equal(phase(r, 'verify').status, 'succeeded');
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.equal(svc.spec.selector.color, 'blue');
    assert.deepEqual(await witnessEndpoints(ws), { ready: ['blue', 'blue'], notReady: 0 });
  });

  test('blue to green: v2 is verified through the preview, switched, proven by EndpointSlices, and blue is retired', async () => {
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.match(phase(r, 'switch').detail, /EndpointSlices of shop list only green's 2 ready pods \(v2\)/);
    // kubectl, a client that shares no code with cutover, must agree.
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.deepEqual(svc.spec.selector, { app: APP, color: 'green' }, 'only the color changed in the user\'s selector');
    assert.deepEqual(await witnessEndpoints(ws), { ready: ['green', 'green'], notReady: 0 });
    const preview = await ws.kubectlJson(['get', 'service', `${SERVICE}-preview`]);
    assert.equal(preview.spec.selector.color, 'blue', 'the preview Service selects the idle color');
    assert.equal(await deploymentReplicas(ws, 'blue'), 0, 'blue was retired to scaleDown.replicas');
    const status = (await ws.cli(['status'])).json;
    assert.deepEqual(status.live, { color: 'green', version: 'v2' });
    assert.equal(status.colors.blue.state, 'retired');
  });

  test('rollback after retire: blue is scaled back up, verified and made live again', async () => {
    const r = await ws.cli(['rollback']);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.equal(svc.spec.selector.color, 'blue');
    assert.deepEqual(await witnessEndpoints(ws), { ready: ['blue', 'blue'], notReady: 0 });
    assert.equal(await deploymentReplicas(ws, 'blue'), 2);
  });

  test('a rollout that never becomes ready fails with its reason and leaves blue live and untouched', async () => {
    const bluePods = await podIdentities(ws, 'blue');
    const blueGeneration = (await ws.kubectlJson(['get', 'deployment', `${APP}-blue`])).metadata.generation;
    const r = await ws.cli(['deploy', 'v3-sick']);
    assert.equal(r.code, 1, explain(r));
    assert.notEqual(r.json.outcome, 'promoted');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    const provision = phase(r, 'provision');
    assert.equal(provision.status, 'failed');
    assert.match(provision.detail, /green \(v3-sick\) (exceeded its progress deadline|did not become ready)/);
    assert.match(provision.detail, /0\/2 pods ready/);
    assert.match(provision.detail, /ReadinessGatesNotReady/, 'the pods\' own conditions say why');
    // Blue is untouched: same selector, same pods, same Deployment generation.
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
    assert.deepEqual(await podIdentities(ws, 'blue'), bluePods);
    assert.equal((await ws.kubectlJson(['get', 'deployment', `${APP}-blue`])).metadata.generation, blueGeneration);
    assert.deepEqual(await witnessEndpoints(ws), { ready: ['blue', 'blue'], notReady: 0 });
  });

  test('flags: set on the idle color reach its next release; set on the live color roll its pods and are served', async () => {
    const idle = await ws.cli(['flags', 'set', 'new_checkout=true']);
    assert.equal(idle.code, 0, explain(idle));
    assert.equal(idle.json.color, 'green');
    const deploy = await ws.cli(['deploy', 'v4']);
    assert.equal(deploy.code, 0, explain(deploy));
    const green = await ws.kubectlJson(['get', 'deployment', `${APP}-green`]);
    assert.deepEqual(flagsEnv(green), { new_checkout: true });
    assert.deepEqual((await servedBy(ws, 'green')).map((a) => a.flags), [{ new_checkout: true }, { new_checkout: true }]);

    const before = await podIdentities(ws, 'green');
    const blueEnv = flagsEnv(await ws.kubectlJson(['get', 'deployment', `${APP}-blue`]));
    const live = await ws.cli(['flags', 'set', 'beta=1', '--color', 'live', '--yes']);
    assert.equal(live.code, 0, explain(live));
    assert.match(live.stderr, /green is LIVE/);
    assert.deepEqual(flagsEnv(await ws.kubectlJson(['get', 'deployment', `${APP}-green`])), { new_checkout: true, beta: 1 });
    const after = await podIdentities(ws, 'green');
    assert.equal(after.length, 2);
    assert.ok(after.every((p) => !before.includes(p)), 'the live color\'s pods were replaced by a rolling update');
    assert.deepEqual((await servedBy(ws, 'green')).map((a) => a.flags), [{ new_checkout: true, beta: 1 }, { new_checkout: true, beta: 1 }]);
    assert.deepEqual(flagsEnv(await ws.kubectlJson(['get', 'deployment', `${APP}-blue`])), blueEnv, 'the other color is untouched');
    // A replaced pod stays in the slice as a not-ready (terminating) endpoint until kwok deletes
    // it; it gets no traffic meanwhile. Wait, bounded, for the slice to settle.
    assert.deepEqual(await settledEndpoints(ws, { ready: ['green', 'green'], notReady: 0 }), { ready: ['green', 'green'], notReady: 0 });
  });

  test('status and history work from another machine that has only the config and the kubeconfig', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'cutover-k8s-elsewhere-'));
    try {
      mkdirSync(join(elsewhere, 'k8s'));
      copyFileSync(ws.configPath, join(elsewhere, 'cutover.yaml'));
      copyFileSync(join(ws.dir, 'k8s', 'deployment.yaml'), join(elsewhere, 'k8s', 'deployment.yaml'));
      const status = await ws.cli(['status'], { config: join(elsewhere, 'cutover.yaml') });
      assert.equal(status.code, 0, explain(status));
      assert.deepEqual(status.json.live, { color: 'green', version: 'v4' });
      const history = await ws.cli(['history'], { config: join(elsewhere, 'cutover.yaml') });
      assert.equal(history.code, 0, explain(history));
      const finished = history.json.filter((e: Json) => e.event === 'finished' && e.kind === 'deploy' && e.version).map((e: Json) => `${e.version} ${e.outcome}`);
      assert.deepEqual(finished, ['v1 promoted', 'v2 promoted', 'v3-sick failed', 'v4 promoted']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('when the live color loses every ready pod, status and doctor say so loudly and traffic is not moved', async () => {
    const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=green`])).items as Json[];
    for (const pod of pods) {
      await ws.cluster.core.patchNamespacedPodStatus({
        name: pod.metadata.name,
        namespace: ws.namespace,
        body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReadinessProbeFailed', message: 'GET /health/ready: 503' }] } },
      }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    }
    const status = await ws.cli(['status']);
    assert.equal(status.json.colors.green.healthy, false);
    assert.match(status.json.colors.green.detail, /LIVE COLOR HAS NO READY PODS \(0\/2\)/);
    const doctor = await ws.cli(['doctor']);
    assert.equal(doctor.code, 1, explain(doctor));
    const finding = doctor.json.findings.find((f: Json) => f.check === 'live pods');
    assert.equal(finding?.verdict, 'problem', explain(doctor));
    assert.match(finding.detail, /LIVE COLOR GREEN HAS NO READY PODS/);
    assert.match(finding.fix, /does not switch to pods it has not verified/);
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'green', 'nothing moved traffic');
  });
});
