// The API client's HTTP layer against loopback servers: one that accepts and never answers,
// one that fails fast a few times, one that records what it was sent.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CoreV1Api, createConfiguration, KubeConfig, ServerConfiguration } from '@kubernetes/client-node';
import { ApiTimeoutError } from './api-call-policy.ts';
import { BoundedHttpLibrary } from './bounded-http.ts';
import { startLoopbackServer } from '../../../test/support/loopback-server.ts';

function coreApi(server: string, timeoutMs: number): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new CoreV1Api(createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kc },
    httpApi: new BoundedHttpLibrary({ timeoutMs, retries: 2, backoffMs: 20 }),
  }));
}

const service = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 'ns' }, spec: { selector: { color: 'blue' } } });

describe('BoundedHttpLibrary', () => {
  const sockets = new Set<net.Socket>();
  const hung = net.createServer((s) => { sockets.add(s); });
  after(() => {
    for (const s of sockets) s.destroy();
    hung.close();
  });

  test('given a server that accepts and never answers, a call fails with a timeout after one attempt', async () => {
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as net.AddressInfo).port;
    const before = sockets.size;
    const started = Date.now();
    await assert.rejects(coreApi(`http://127.0.0.1:${port}`, 400).readNamespacedService({ name: 'shop', namespace: 'ns' }), (err: unknown) => {
      assert.ok(err instanceof ApiTimeoutError, String(err));
      assert.match((err as Error).message, /did not answer within 400ms \(platform\.apiTimeout\)/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 2_000, `gave up after ${elapsed} ms`);
    assert.equal(sockets.size - before, 1, 'a timed-out call is not retried');
  });

  test('given 503 twice then 200, a read is retried and succeeds; a create is sent once', async () => {
    let gets = 0;
    let posts = 0;
    const server = await startLoopbackServer((req, res) => {
      if (req.method === 'GET' && ++gets <= 2) { res.writeHead(503).end('{}'); return; }
      if (req.method === 'POST') { posts++; res.writeHead(503, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"busy"}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(service);
    });
    try {
      const api = coreApi(server.url, 2_000);
      const svc = await api.readNamespacedService({ name: 'shop', namespace: 'ns' });
      assert.equal(svc.spec?.selector?.color, 'blue');
      assert.equal(gets, 3);
      await assert.rejects(api.createNamespacedService({ namespace: 'ns', body: { metadata: { name: 'x' } } }));
      assert.equal(posts, 1, 'a create is not repeated: it may have happened');
    } finally {
      await server.close();
    }
  });

  test('every write carries field manager cutover unless the call names its own', async () => {
    const seen: string[] = [];
    const server = await startLoopbackServer((req, res) => {
      seen.push(`${req.method} ${new URL(req.url!, 'http://x').searchParams.get('fieldManager')}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(service);
    });
    try {
      const api = coreApi(server.url, 2_000);
      await api.patchNamespacedService({ name: 'shop', namespace: 'ns', body: [{ op: 'replace', path: '/spec/selector/color', value: 'green' }] });
      await api.patchNamespacedService({ name: 'shop', namespace: 'ns', body: [], fieldManager: 'someone' });
      await api.readNamespacedService({ name: 'shop', namespace: 'ns' });
      assert.deepEqual(seen, ['PATCH cutover', 'PATCH someone', 'GET null']);
    } finally {
      await server.close();
    }
  });
});
