// The read-only path's GETs against loopback servers: the same deadline and retry policy as the
// generated client's HTTP layer (bounded-http.test.ts), the same errors, the kubeconfig's headers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  describe('over HTTPS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-rest-reads-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=cutover-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const tlsFiles = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    after(() => rmSync(dir, { recursive: true, force: true }));

    const tlsReads = (port: number) => new RestReads({
      access: { server: `https://127.0.0.1:${port}`, ca: tlsFiles.cert, rejectUnauthorized: true, headers: () => ({ authorization: 'Bearer test-token' }) },
      namespace: 'ns',
      policy: { timeoutMs: 2_000, retries: 2, backoffMs: 20 },
    });
    const answer = (path: string | undefined, authorization: string | undefined) => path?.includes('/services/') ? service : JSON.stringify({ kind: 'Deployment', metadata: { name: path?.split('/').at(-1), annotations: { authorization: authorization ?? '' } } });

    async function listening(server: net.Server): Promise<number> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return (server.address() as net.AddressInfo).port;
    }

    test('given an HTTP/2 server, parallel reads share one TLS connection and carry the kubeconfig\'s token', async () => {
      const server = http2.createSecureServer({ ...tlsFiles, allowHTTP1: true }, (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer(req.url, req.headers.authorization));
      });
      let connections = 0;
      server.on('secureConnection', () => { connections++; });
      const api = tlsReads(await listening(server));
      try {
        const [svc, ...deployments] = await Promise.all([api.read('Service', 'shop'), ...['a', 'b', 'c', 'd', 'e'].map((name) => api.read('Deployment', name))]);
        assert.equal(svc?.spec?.selector?.color, 'blue');
        assert.deepEqual(deployments.map((d) => d?.metadata?.name), ['a', 'b', 'c', 'd', 'e']);
        assert.equal(deployments[0]?.metadata?.annotations?.['authorization'], 'Bearer test-token');
        assert.equal(connections, 1);
      } finally {
        await api.close();
        await new Promise((r) => server.close(r));
      }
    });

    test('given an HTTP/2 server that stalls mid-body, the read fails as unreachable after the timeout', async () => {
      const server = http2.createSecureServer(tlsFiles, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"kind":');
      });
      const port = await listening(server);
      const api = new RestReads({ access: { server: `https://127.0.0.1:${port}`, ca: tlsFiles.cert, rejectUnauthorized: true, headers: () => ({}) }, namespace: 'ns', policy: { timeoutMs: 400, retries: 2, backoffMs: 20 } });
      const started = Date.now();
      try {
        await assert.rejects(api.read('Service', 'shop'), (err: unknown) => isCutoverError(err) && err.code === 'unreachable' && (err as Error).cause instanceof ApiTimeoutError);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 390 && elapsed < 2_000, `gave up after ${elapsed} ms`);
      } finally {
        await api.close();
        server.close();
      }
    });

    test('identical reads in flight together are sent once; a later one is sent again', async () => {
      const paths: string[] = [];
      const server = http2.createSecureServer(tlsFiles, (req, res) => {
        paths.push(req.url);
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer(req.url, req.headers.authorization));
      });
      const api = tlsReads(await listening(server));
      try {
        const [first, second, other] = await Promise.all([api.read('ConfigMap', 'shop-cutover'), api.read('ConfigMap', 'shop-cutover'), api.read('Lease', 'shop-cutover')]);
        assert.equal(first, second);
        assert.ok(other);
        assert.deepEqual(paths.sort(), ['/api/v1/namespaces/ns/configmaps/shop-cutover', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/shop-cutover']);
        await api.read('ConfigMap', 'shop-cutover');
        assert.equal(paths.length, 3, 'a read after the first ended is not served from memory (status --watch reads anew)');
      } finally {
        await api.close();
        await new Promise((r) => server.close(r));
      }
    });

    test('given a server that accepts and never completes the TLS handshake, reads fail as unreachable after the timeout, once', async () => {
      const held = new Set<net.Socket>();
      const server = net.createServer((socket) => { held.add(socket); });
      const api = new RestReads({ access: { server: `https://127.0.0.1:${await listening(server)}`, ca: tlsFiles.cert, rejectUnauthorized: true, headers: () => ({}) }, namespace: 'ns', policy: { timeoutMs: 400, retries: 2, backoffMs: 20 } });
      const started = Date.now();
      try {
        const results = await Promise.allSettled([api.read('Service', 'shop'), api.read('Deployment', 'a')]);
        for (const result of results) {
          assert.equal(result.status, 'rejected');
          const err = (result as PromiseRejectedResult).reason as Error;
          assert.ok(isCutoverError(err) && err.code === 'unreachable', String(err));
          assert.ok(err.cause instanceof ApiTimeoutError);
        }
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 390 && elapsed < 2_000, `gave up after ${elapsed} ms`);
        assert.equal(held.size, 1, 'one connection for both reads, not retried');
      } finally {
        await api.close();
        for (const socket of held) socket.destroy();
        server.close();
      }
    });

    test('given a server that offers only HTTP/1.1, the reads go over HTTP/1.1, and a certificate it cannot verify is refused', async () => {
      let versions: string[] = [];
      const server = https.createServer(tlsFiles, (req, res) => {
        versions.push(req.httpVersion);
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer(req.url, req.headers.authorization));
      });
      const port = await listening(server);
      const api = tlsReads(port);
      try {
        const [svc, deployment] = await Promise.all([api.read('Service', 'shop'), api.read('Deployment', 'a')]);
        assert.equal(svc?.spec?.selector?.color, 'blue');
        assert.equal(deployment?.metadata?.annotations?.['authorization'], 'Bearer test-token');
        assert.deepEqual(versions, ['1.1', '1.1']);
        versions = [];
        const untrusted = new RestReads({ access: { server: `https://127.0.0.1:${port}`, rejectUnauthorized: true, headers: () => ({}) }, namespace: 'ns', policy: { timeoutMs: 2_000, retries: 0, backoffMs: 20 } });
        await assert.rejects(untrusted.read('Service', 'shop'), (err: unknown) => /self-signed|unable to verify|certificate/i.test(String((err as Error).message)));
        assert.deepEqual(versions, [], 'nothing is sent to a server whose certificate does not verify');
        await untrusted.close();
      } finally {
        await api.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });
});
