// Where checks reach a color, from outside the cluster (port-forward tunnels, real HTTP here)
// and from inside it (pod IPs and the preview Service's DNS name, which only resolve in a pod).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckTargetsProvider } from './check-targets.ts';
import { connectCluster } from './kube-clients.ts';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: check targets', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-targets', { replicas: 2 });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  const provider = (route: 'inside' | 'outside') => new CheckTargetsProvider({
    clients: connectCluster(), namespace: ws.namespace, app: APP, previewService: `${SERVICE}-preview`, route,
  });

  test('outside: one tunnel per pod plus a spreading preview listener, all answering real HTTP with the release', async () => {
    const targets = provider('outside');
    try {
      const active = await ws.cluster.core.readNamespacedService({ name: SERVICE, namespace: ws.namespace });
      const t = await targets.targets('blue', active);
      assert.equal(t.replicas.length, 2);
      const pods = new Set<string>();
      for (const r of t.replicas) {
        assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const res = await fetch(`${r.url}/`);
        const body = await res.json() as Json;
        assert.deepEqual([res.status, body.version, body.pod], [200, 'v1', r.name], 'each tunnel reaches its own pod');
        pods.add(body.pod);
      }
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(((await (await fetch(`${t.preview}/`)).json()) as Json).pod);
      assert.deepEqual([...seen].sort(), [...pods].sort(), 'the preview spreads connections over every pod');
    } finally {
      await targets.close();
    }
  });

  test('inside: pod IPs on the named container port, and the preview Service by its cluster DNS name', async () => {
    const active = await ws.cluster.core.readNamespacedService({ name: SERVICE, namespace: ws.namespace });
    const t = await provider('inside').targets('blue', active);
    const pods = (await ws.kubectlJson(['get', 'pods', '-l', `app=${APP},color=blue`])).items as Json[];
    assert.deepEqual(t.replicas.map((r) => r.url).sort(), pods.map((p) => `http://${p.status.podIP}:8080`).sort(), 'targetPort "http" resolved to 8080');
    assert.equal(t.preview, `http://${SERVICE}-preview.${ws.namespace}.svc:80`);
  });
});
