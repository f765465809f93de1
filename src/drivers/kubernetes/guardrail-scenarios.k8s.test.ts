// The bake window's builtin pod guardrails on a real control plane, with nothing configured but
// `health`: the real CLI deploys to kube-apiserver, the controllers and kwok; when the new color's
// pods go bad during the bake window, the rollback is automatic. kwok runs no containers, so the
// test writes what a kubelet would into the pod's status (restart counts, the last termination,
// CrashLoopBackOff, the Ready condition). kubectl is the witness of where the Service points.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { APP, explain, K8sWorkspace, SERVICE, type CliResult } from '../../../test/support/k8s-workspace.ts';
import { until } from '../../../test/support/until.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const WINDOW = '30s';

async function livePods(ws: K8sWorkspace, color: string): Promise<Json[]> {
  return ((await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=${color}`])).items as Json[]).filter((p) => !p.metadata.deletionTimestamp);
}

/** What a kubelet writes into a pod's status: the container's state (and the Ready condition). */
async function kubeletReports(ws: K8sWorkspace, pod: Json, status: Json): Promise<void> {
  await ws.cluster.core.patchNamespacedPodStatus({ name: pod.metadata.name, namespace: ws.namespace, body: { status } }, strategicMerge);
}

const container = (pod: Json, fields: Json) => ({ name: 'api', image: pod.spec.containers[0].image, imageID: '', ...fields });
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000).toISOString();

/** How each pod failure looks in the pod's status, as the kubelet records it. */
const FAILURES: Array<{ name: string; signal: RegExp; evidence: (pod: string) => RegExp; status: (pod: Json) => Json }> = [
  {
    name: 'a container that exits after the pod was ready (crash after ready)',
    signal: /^replica-events$/,
    evidence: (pod) => new RegExp(`^pod ${pod} container api exited with code 1 \\(Error\\), 1 restart`),
    status: (pod) => ({
      containerStatuses: [container(pod, {
        ready: true, started: true, restartCount: 1,
        state: { running: { startedAt: new Date().toISOString() } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: secondsAgo(5), finishedAt: new Date().toISOString() } },
      })],
    }),
  },
  {
    name: 'a container waiting in CrashLoopBackOff',
    // The platform's status says crash-looping too, but the pod event (which container, what exit) names it.
    signal: /^replica-events$/,
    evidence: (pod) => new RegExp(`pod ${pod} container api (is in CrashLoopBackOff|exited with code 1)`),
    status: (pod) => ({
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [api]' }],
      containerStatuses: [container(pod, {
        ready: false, started: false, restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=api' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: secondsAgo(2), finishedAt: new Date().toISOString() } },
      })],
    }),
  },
  {
    name: 'a container OOMKilled',
    signal: /^replica-events$/,
    evidence: (pod) => new RegExp(`^pod ${pod} container api was OOMKilled \\(exit code 137\\), 1 restart`),
    status: (pod) => ({
      containerStatuses: [container(pod, {
        ready: true, started: true, restartCount: 1,
        state: { running: { startedAt: new Date().toISOString() } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: secondsAgo(5), finishedAt: new Date().toISOString() } },
      })],
    }),
  },
  {
    name: 'a ready count that drops (a pod fails its readiness probe)',
    signal: /^(replica-events|ready-count)$/,
    evidence: (pod) => new RegExp(`(^pod ${pod} stopped being Ready: ReadinessProbeFailed|^green has 1/2 replicas ready)`),
    status: () => ({ conditions: [{ type: 'Ready', status: 'False', reason: 'ReadinessProbeFailed', message: 'GET /health/ready: 503' }] }),
  },
];

describe('kubernetes guardrails by default: a release whose pods go bad in the bake window is rolled back', { concurrency: 1 }, () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-guard', { replicas: 2, progressDeadline: '12s', monitorDuration: WINDOW, scaleDownDelay: '0s' });
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
  });
  after(() => ws.dispose());

  FAILURES.forEach((failure, i) => {
    test(`${failure.name}: exit 1, the Service back on blue, the verdict names the signal and the pod`, async (t) => {
      // Given v1 live on blue, and v2 switched to green and in its bake window
      const version = `v${i + 2}`;
      const running = ws.start(['deploy', version]);
      await until(`${version} reaching its bake window`, () => ws.readState(), (state) => state?.operation?.phase === 'monitor', 60_000);
      assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'green', 'traffic is on green during the bake window');
      // When one green pod goes bad as the kubelet reports it
      const [pod] = await livePods(ws, 'green');
      const struck = Date.now();
      await kubeletReports(ws, pod, failure.status(pod));
      const r: CliResult = await running.done;

      // Then the deploy rolls back on its own, within seconds, naming the signal and the pod
      assert.equal(r.code, 1, explain(r));
      assert.equal(r.json.outcome, 'rolled_back', explain(r));
      assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
      const monitor = r.json.phases.filter((p: Json) => p.name === 'monitor').at(-1);
      assert.equal(monitor.status, 'failed');
      assert.match(monitor.data.verdict.signal, failure.signal, monitor.detail);
      assert.match(monitor.data.verdict.evidence, failure.evidence(pod.metadata.name));
      assert.equal(monitor.data.verdict.endedEarly, true);
      const rollback = r.json.phases.find((p: Json) => p.name === 'rollback');
      assert.equal(rollback?.status, 'succeeded', explain(r));
      const detectedAfter = Date.parse(rollback.startedAt) - struck;
      t.diagnostic(`${monitor.data.verdict.signal}: ${monitor.data.verdict.evidence}; rollback began ${detectedAfter}ms after the pod went bad`);
      assert.ok(detectedAfter < 5_000, `the rollback began ${detectedAfter}ms after the pod went bad`);
      // and kubectl, the witness, sees the active Service select blue again
      assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
    });
  });
});
