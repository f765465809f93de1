import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runHttpCheck } from './http-check.ts';
import { closedPort, json, startServer, type TestServer } from '../../test/support/check-test-server.ts';
import type { HttpCheckSpec } from './types.ts';

function spec(path: string, overrides: Partial<HttpCheckSpec> = {}): HttpCheckSpec {
  return {
    kind: 'http', name: `GET ${path}`, path, method: 'GET', expectStatus: null, json: null,
    maxLatencyMs: 2_000, timeoutMs: 2_000, headers: {}, ...overrides,
  };
}

describe('HTTP check', () => {
  let server: TestServer;
  const target = () => ({ name: 'green-0', url: server.url });

  before(async () => {
    server = await startServer((req, res) => {
      switch (req.url) {
        case '/ok': return json(res, 200, { status: 'ok' });
        case '/down': return json(res, 503, { checks: [{ name: 'database', status: 'down', error: 'connection refused' }] });
        case '/down-html': res.writeHead(503, { 'content-type': 'text/html' }); return res.end('<h1>Service Unavailable</h1>');
        case '/ready': return json(res, 200, { checks: [{ name: 'db', status: 'healthy' }, { name: 'cache', status: 'ok' }] });
        case '/degraded': return json(res, 200, { checks: [{ name: 'db', status: 'healthy' }, { name: 'database', status: 'degraded' }] });
        case '/no-checks': return json(res, 200, { status: 'ok' });
        case '/html': res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<html><body>hello</body></html>');
        case '/slow': setTimeout(() => json(res, 200, { ok: true }), 150); return;
        case '/hang': return; // never answers
        case '/echo-host': return json(res, 200, { host: req.headers.host, method: req.method });
        default: res.writeHead(404); res.end();
      }
    });
  });
  after(() => server.close());

  test('a 2xx answer passes and reports status and latency', async () => {
    const result = await runHttpCheck(spec('/ok'), target());
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    assert.equal(result.reason, undefined);
    assert.ok(result.latencyMs >= 0 && result.latencyMs < 2_000);
  });

  test('a status mismatch fails and names the status', async () => {
    const result = await runHttpCheck(spec('/down', { expectStatus: 200 }), target());
    assert.equal(result.ok, false);
    assert.equal(result.status, 503);
    assert.match(result.reason!, /^503 after \d+ms \(expected 200\)$/);
    const notFound = await runHttpCheck(spec('/nope'), target());
    assert.match(notFound.reason!, /^404 after \d+ms \(expected 2xx\)$/);
  });

  test('a 503 with a JSON checks body says which dependency is down', async () => {
    const result = await runHttpCheck(spec('/down', { json: 'checks' }), target());
    assert.match(result.reason!, /^503 after \d+ms \(expected 2xx\); checks\[0\] \(database\) reported "down": connection refused$/);
    const html = await runHttpCheck(spec('/down-html', { json: 'checks' }), target());
    assert.match(html.reason!, /^503 after \d+ms \(expected 2xx\)$/, 'an HTML error page adds no "not JSON" noise');
  });

  test('JSON checks: healthy, unhealthy, missing, malformed', async () => {
    assert.equal((await runHttpCheck(spec('/ready', { json: 'checks' }), target())).ok, true);

    const degraded = await runHttpCheck(spec('/degraded', { json: 'checks' }), target());
    assert.equal(degraded.ok, false);
    assert.equal(degraded.status, 200);
    assert.equal(degraded.reason, 'checks[1] (database) reported "degraded"');

    const missing = await runHttpCheck(spec('/no-checks', { json: 'checks' }), target());
    assert.equal(missing.reason, 'body has no "checks"');

    const malformed = await runHttpCheck(spec('/html', { json: 'checks' }), target());
    assert.equal(malformed.reason, 'body is not JSON (text/html): "<html><body>hello</body></html>"');
  });

  test('an answer slower than maxLatency fails with how long it took', async () => {
    const result = await runHttpCheck(spec('/slow', { maxLatencyMs: 50 }), target());
    assert.equal(result.ok, false);
    assert.equal(result.status, 200);
    assert.ok(result.latencyMs >= 150, `latency ${result.latencyMs}`);
    assert.match(result.reason!, /^took \d+ms \(max 50ms\)$/);
  });

  test('no answer within the timeout fails without waiting longer', async () => {
    const started = performance.now();
    const result = await runHttpCheck(spec('/hang', { timeoutMs: 200 }), target());
    const waited = performance.now() - started;
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'no complete answer within 200ms');
    assert.ok(waited >= 190 && waited < 1_500, `waited ${waited}ms`);
  });

  test('connection refused', async () => {
    const port = await closedPort();
    const result = await runHttpCheck(spec('/ok'), { name: 'blue-1', url: `http://127.0.0.1:${port}` });
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'connection refused');
    assert.equal(result.target, 'blue-1');
  });

  test('headers and method are sent, and a path prefix on the target is kept', async () => {
    const result = await runHttpCheck(spec('/echo-host', { headers: { host: 'shop.example' } }), target());
    assert.equal(result.ok, true);
    const request = server.requests.at(-1)!;
    assert.equal(request.headers.host, 'shop.example');
    const head = await runHttpCheck(spec('/ok', { method: 'HEAD' }), target());
    assert.equal(head.ok, true);
    assert.equal(server.requests.at(-1)!.method, 'HEAD');
    const prefixed = await runHttpCheck(spec('/x'), { name: 'p', url: `${server.url}/echo-host` });
    assert.equal(server.requests.at(-1)!.url, '/echo-host/x');
    assert.equal(prefixed.status, 404);
  });

  test('each check closes its connection (no keep-alive sockets left on the server)', async () => {
    await runHttpCheck(spec('/ok'), target());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sockets = server.requests.at(-1)!.socket;
    assert.equal(sockets.destroyed || sockets.readableEnded, true);
  });
});
