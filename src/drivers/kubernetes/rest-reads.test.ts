// The read-only path's GETs against loopback servers: the same deadline and retry policy as the
// generated client's HTTP layer (bounded-http.test.ts), the same errors, the kubeconfig's headers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ApiTimeoutError } from './api-call-policy.ts';
import { isCutoverError } from '../../core/errors.ts';
import { RestReads } from './rest-reads.ts';
import { startLoopbackServer } from '../../../test/support/loopback-server.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

function reads(server: string, timeoutMs: number): RestReads {
  return new RestReads({
    access: { server, rejectUnauthorized: true, headers: () => ({ authorization: 'Bearer test-token' }) },
    namespace: 'ns',
    policy: { timeoutMs, retries: 2, backoffMs: 20 },
  });
}

const service = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 'ns' }, spec: { selector: { color: 'blue' } } });

describe('RestReads', () => {
  const sockets = new Set<net.Socket>();
  const hung = net.createServer((s) => { sockets.add(s); });
  after(() => {
    for (const s of sockets) s.destroy();
    hung.close();
  });

  test('given a server that accepts and never answers, a read fails as unreachable after one attempt and the timeout', async () => {
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as net.AddressInfo).port;
    const before = sockets.size;
    const started = Date.now();
    const api = reads(`http://127.0.0.1:${port}`, 400);
    await assert.rejects(api.read('Service', 'shop'), (err: unknown) => {
      assert.ok(isCutoverError(err) && err.code === 'unreachable', String(err));
      assert.ok((err as Error).cause instanceof ApiTimeoutError);
      assert.match((err as Error).message, /^reading Service ns\/shop: the API server did not answer within 400ms \(platform\.apiTimeout\)/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 2_000, `gave up after ${elapsed} ms`);
    assert.equal(sockets.size - before, 1, 'a timed-out call is not retried');
    await api.close();
  });

  test('given 503 twice then 200, a read is retried and succeeds, with the kubeconfig\'s token', async () => {
    let gets = 0;
    const seen: string[] = [];
    const server = await startLoopbackServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      if (++gets <= 2) { res.writeHead(503).end('{}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(service);
    });
    const api = reads(server.url, 2_000);
    try {
      const svc = await api.read('Service', 'shop');
      assert.equal(svc?.spec?.selector?.color, 'blue');
      assert.equal(gets, 3);
      assert.equal(seen[0], '/api/v1/namespaces/ns/services/shop Bearer test-token');
    } finally {
      await api.close();
      await server.close();
    }
  });

  test('the wait before a retry runs on the policy\'s clock: 10 s and 20 s of backoff pass in no real time', { timeout: 10_000 }, async () => {
    let gets = 0;
    const server = await startLoopbackServer((_req, res) => {
      if (++gets <= 2) { res.writeHead(503).end('{}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(service);
    });
    const clock = new VirtualClock();
    const api = new RestReads({ access: { server: server.url, rejectUnauthorized: true, headers: () => ({}) }, namespace: 'ns', policy: { timeoutMs: 2_000, retries: 2, backoffMs: 10_000, clock } });
    try {
      const started = performance.now();
      const t0 = clock.now();
      const svc = await clock.run(api.read('Service', 'shop'));
      assert.equal(svc?.spec?.selector?.color, 'blue');
      assert.equal(gets, 3);
      assert.equal(clock.now() - t0, 30_000, 'backoff 10 s before retry 1, 20 s before retry 2, on the clock');
      assert.ok(performance.now() - started < 5_000);
    } finally {
      await api.close();
      await server.close();
    }
  });

  test('404 is undefined; 403 is a config error with the server\'s message; a refused connection is unreachable after the retries', async () => {
    const paths: string[] = [];
    const server = await startLoopbackServer((req, res) => {
      paths.push(req.url!);
      if (req.url!.includes('/leases/')) { res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"leases.coordination.k8s.io \\"shop-cutover\\" not found"}'); return; }
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"pods is forbidden: User \\"viewer\\" cannot list resource \\"pods\\""}');
    });
    const api = reads(server.url, 2_000);
    try {
      assert.equal(await api.read('Lease', 'shop-cutover'), undefined);
      await assert.rejects(api.listPods('app=shop', 'shop'), (err: unknown) => {
        assert.ok(isCutoverError(err) && err.code === 'config', String(err));
        assert.match((err as Error).message, /^listing pods of shop: pods is forbidden: User "viewer" cannot list/);
        return true;
      });
      assert.deepEqual(paths, ['/apis/coordination.k8s.io/v1/namespaces/ns/leases/shop-cutover', '/api/v1/namespaces/ns/pods?labelSelector=app%3Dshop']);
    } finally {
      await api.close();
      await server.close();
    }
    const closed = reads(server.url, 2_000);
    const started = Date.now();
    await assert.rejects(closed.read('Deployment', 'shop-blue'), (err: unknown) => isCutoverError(err) && err.code === 'unreachable' && /ECONNREFUSED/.test((err as Error).message));
    assert.ok(Date.now() - started >= 60, 'two retries with backoff 20 ms and 40 ms');
    await closed.close();
  });
});
