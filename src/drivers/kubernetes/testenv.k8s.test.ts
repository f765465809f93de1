// Proves the test control plane behaves like a cluster for what cutover relies on:
// the scheduler places pods, kwok makes them Running and Ready with IPs, the
// EndpointSlice controller publishes them behind a Service, kubectl sees the same, and
// real HTTP reaches a server through the API server's port-forward.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { connectTestCluster, isPodReady, waitFor, type TestCluster } from '../../../test/support/k8s-test-cluster.ts';
import { openPodTunnel } from './pod-tunnel.ts';

describe('k8s test environment', () => {
  let cluster: TestCluster;
  let ns: string;

  before(async () => {
    cluster = connectTestCluster();
    ns = await cluster.createNamespace('testenv');
  });
  after(async () => {
    await cluster?.cleanup();
  });

  test('given a 2-replica Deployment and a Service, pods become Ready with IPs and are listed as ready endpoints', async () => {
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'example.invalid/web:1', ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
    });
    await cluster.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });

    const pods = await waitFor('2 pods Running and Ready', 60_000, async () => {
      const list = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      const ready = list.items.filter((p) => p.status?.phase === 'Running' && isPodReady(p) && p.status.podIP);
      return ready.length === 2 ? ready : undefined;
    });
    const podIPs = pods.map((p) => p.status!.podIP!).sort();
    assert.equal(new Set(podIPs).size, 2, 'each pod has its own IP');
    assert.ok(pods.every((p) => p.spec?.nodeName === 'kwok-node-0'), 'the scheduler bound the pods to the kwok node');

    const readyEndpointIPs = (slices: V1EndpointSlice[]) =>
      slices
        .flatMap((s) => s.endpoints)
        .filter((e) => e.conditions?.ready === true)
        .flatMap((e) => e.addresses)
        .sort();
    const sliceIPs = await waitFor('EndpointSlices list both pods as ready', 30_000, async () => {
      const slices = await cluster.discovery.listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ips = readyEndpointIPs(slices.items);
      return ips.length === 2 ? ips : undefined;
    });
    assert.deepEqual(sliceIPs, podIPs);

    // kubectl, a separate client with its own decoding, must see the same endpoints.
    const witnessed = JSON.parse(
      await cluster.kubectl(['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=web', '-o', 'json']),
    ) as { items: V1EndpointSlice[] };
    assert.deepEqual(readyEndpointIPs(witnessed.items), podIPs);
  });

  test('given a kwok PortForward to a local server, port-forward through the API server carries real HTTP', async () => {
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pods = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    const pod = pods.items[0]!.metadata!.name!;
    await cluster.routePodPort(ns, pod, 8080, (server.address() as AddressInfo).port);
    const tunnel = await openPodTunnel(cluster.kc, ns, pod, 8080);
    try {
      // kwok picks up the PortForward object asynchronously; until then it answers
      // "forward not found", which the tunnel reports as a failed connection.
      const body = await waitFor('an HTTP response through the tunnel', 20_000, async () => {
        const res = await fetch(`${tunnel.url}/health/ready`, { signal: AbortSignal.timeout(3000) });
        return (await res.json()) as { path: string; ok: boolean };
      });
      assert.deepEqual(body, { path: '/health/ready', ok: true });
    } finally {
      await tunnel.close();
      await new Promise((r) => server.close(r));
    }
  });
});
