import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isCutoverError } from '../core/errors.ts';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { httpRequest } from '../../test/support/test-client.ts';

const loopback = { host: '127.0.0.1', port: 0 };

describe('router: proxying, preview, maintenance and pause', () => {
  let blue: TestBackend;
  let green: TestBackend;
  let router: Router;
  let dir: string;

  before(async () => {
    blue = await startTestBackend('blue');
    green = await startTestBackend('green');
    router = await Router.start({ listen: loopback, preview: loopback, drainTimeoutMs: 1000, maxPauseMs: 400 });
    dir = mkdtempSync(join(tmpdir(), 'cutover-router-'));
  });

  after(async () => {
    await router.close();
    await Promise.all([blue.close(), green.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('with no live color the main listener answers 503', async () => {
    const res = await httpRequest(router.address.main);
    assert.equal(res.status, 503);
    assert.match(res.body, /no release is live/);
  });

  test('switching to a color without upstreams is refused', () => {
    assert.throws(() => router.switchTo('green'), (err) => isCutoverError(err) && err.code === 'refused' && /green/.test(err.message));
    assert.equal(router.live, null);
  });

  test('proxies to the live color, strips hop-by-hop headers and sets X-Forwarded-*', async () => {
    router.setUpstreams('blue', [blue.url]);
    router.setUpstreams('green', [green.url]);
    router.switchTo('blue');
    assert.deepEqual(router.upstreams('blue'), [blue.url]);

    const host = new URL(router.address.main).host;
    const res = await httpRequest(`${router.address.main}/headers?q=1`, {
      headers: [
        'Host', host,
        'Connection', 'keep-alive, X-Hop-Secret',
        'X-Hop-Secret', 'must-not-pass',
        'Proxy-Authorization', 'Basic Zm9vOmJhcg==',
        'TE', 'trailers',
        'X-Forwarded-For', '203.0.113.5',
        'X-Forwarded-Proto', 'https',
        'X-Request-Id', 'abc-123',
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cutover-color'], 'blue');
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/headers?q=1');
    assert.equal(seen.headers['host'], host);
    assert.equal(seen.headers['x-request-id'], 'abc-123');
    assert.equal(seen.headers['x-hop-secret'], undefined);
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['te'], undefined);
    // No router.trustedProxies: the client's claimed chain is replaced with its real address.
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], host);
  });

  test('strips headers the upstream names in its Connection header', async () => {
    const odd = createServer((req, res) => {
      req.resume();
      res.writeHead(201, 'Made', ['Connection', 'x-internal-route', 'X-Internal-Route', 'pod-7', 'X-Public', 'yes', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
      res.end('made');
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const r = await Router.start({ listen: loopback, drainTimeoutMs: 100 });
    try {
      r.setUpstreams('blue', [`http://127.0.0.1:${(odd.address() as AddressInfo).port}`]);
      r.switchTo('blue');
      const res = await httpRequest(r.address.main);
      assert.equal(res.status, 201);
      assert.equal(res.body, 'made');
      assert.equal(res.headers['x-public'], 'yes');
      assert.equal(res.headers['x-internal-route'], undefined);
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    } finally {
      await r.close();
      odd.closeAllConnections();
      odd.close();
    }
  });

  test('streams a chunked request body sent with Expect: 100-continue', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${router.address.main}/echo`, { method: 'POST', agent: false, headers: { expect: '100-continue' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('continue', () => {
        req.write('first half, ');
        setTimeout(() => req.end('second half'), 30);
      });
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'first half, second half');
    const seen = blue.arrivals.at(-1)!;
    assert.equal(seen.headers['transfer-encoding'], 'chunked');
    assert.equal(seen.headers['expect'], undefined);
  });

  test('the preview listener serves the preview color only', async () => {
    assert.equal((await httpRequest(router.address.preview!)).status, 503);
    router.setPreview('green');
    const res = await httpRequest(`${router.address.preview}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cutover-color'], 'green');
    assert.equal((await httpRequest(router.address.main)).headers['x-cutover-color'], 'blue');
  });

  test('maintenance answers 503 with Retry-After and an escaped message; preview keeps working', async () => {
    router.setMaintenance({ on: true, message: 'Upgrading <db> & "cache"', retryAfterSec: 120 });
    const res = await httpRequest(`${router.address.main}/anything`);
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '120');
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.ok(res.body.includes('Upgrading &lt;db&gt; &amp; &quot;cache&quot;'), res.body);
    assert.ok(!res.body.includes('<db>'));
    assert.equal((await httpRequest(router.address.preview!)).status, 200);

    const page = join(dir, 'down.html');
    writeFileSync(page, '<html><body><marquee>{{message}}</marquee></body></html>');
    router.setMaintenance({ on: true, message: 'back at 5', pageFile: page });
    const custom = await httpRequest(router.address.main);
    assert.equal(custom.status, 503);
    assert.equal(custom.body, '<html><body><marquee>back at 5</marquee></body></html>');
    assert.equal(custom.headers['retry-after'], '30');

    assert.throws(() => router.setMaintenance({ on: true, pageFile: join(dir, 'missing.html') }), (err) => isCutoverError(err) && err.code === 'not-found');
    router.setMaintenance({ on: false });
    assert.equal((await httpRequest(router.address.main)).status, 200);
  });

  test('pause holds requests and releases them to whatever is live at unpause', async () => {
    router.pause();
    let answered = false;
    const pending = httpRequest(router.address.main).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(answered, false, 'a paused request must not be answered');
    assert.equal(router.stats().held, 1);
    router.switchTo('green');
    router.unpause();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cutover-color'], 'green');
    router.switchTo('blue');
  });

  test('close() answers held requests with 503 and is idempotent', async () => {
    const r = await Router.start({ listen: loopback, drainTimeoutMs: 100, maxPauseMs: 5000 });
    r.setUpstreams('blue', [blue.url]);
    r.switchTo('blue');
    r.pause();
    const held = httpRequest(r.address.main);
    while (r.stats().held === 0) await new Promise((res) => setTimeout(res, 5));
    await Promise.all([r.close(), r.close()]);
    const res = await held;
    assert.equal(res.status, 503);
    assert.match(res.body, /shutting down/);
    assert.throws(() => r.switchTo('blue'), (err) => isCutoverError(err) && err.code === 'refused');
  });

  test('a paused request is released after maxPauseMs even without unpause', async () => {
    router.pause();
    try {
      const started = performance.now();
      const res = await httpRequest(router.address.main);
      const waited = performance.now() - started;
      assert.equal(res.status, 200);
      assert.ok(waited >= 350 && waited < 2000, `waited ${waited.toFixed(0)} ms, expected about 400`);
    } finally {
      router.unpause();
    }
  });
});

describe('router: the oldest request in flight (the stuck-request signal)', () => {
  let blue: TestBackend;
  before(async () => { blue = await startTestBackend('blue'); });
  after(async () => { await blue.close(); });

  test('is the age of the first request still running, and 0 once none is', { timeout: 20_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 1000 });
    try {
      router.setUpstreams('blue', [blue.url]);
      router.switchTo('blue');
      assert.equal(router.oldestInFlightSeconds('blue'), 0);
      const long = httpRequest(`${router.address.main}/slow?ms=900`);
      await new Promise((r) => setTimeout(r, 300));
      const short = httpRequest(`${router.address.main}/slow?ms=200`);
      await new Promise((r) => setTimeout(r, 100));
      const age = router.oldestInFlightSeconds('blue');
      assert.ok(age >= 0.35 && age < 0.9, `oldest in flight ${age}s, expected the first request's age (about 0.4 s)`);
      await short;
      assert.ok(router.oldestInFlightSeconds('blue') >= 0.45, 'the first request is still the oldest after a later one finished');
      assert.equal((await long).status, 200);
      assert.equal(router.oldestInFlightSeconds('blue'), 0);
      assert.equal(router.stats().colors.blue.main.inFlight, 0);
    } finally {
      await router.close();
    }
  });
});
