import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from '../../test/support/raw-http.ts';
import { WebSocket } from 'ws';
import { Router, type RouterOptions } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';

const loopback = { host: '127.0.0.1', port: 0 };

async function routerTo(backend: string, options: Partial<RouterOptions> = {}): Promise<Router> {
  const router = await Router.start({ listen: loopback, drainTimeoutMs: 1_000, ...options });
  router.setUpstreams('blue', [backend]);
  router.switchTo('blue');
  return router;
}

/** The JSON body of the backend's /headers answer inside a raw HTTP response. */
function seen(raw: string): { url: string; headers: Record<string, string> } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

describe('router: the HTTP edge', () => {
  let backend: TestBackend;
  let router: Router;

  before(async () => {
    backend = await startTestBackend('blue');
    router = await routerTo(backend.url);
  });
  after(async () => {
    await router.close();
    await backend.close();
  });

  test('forwarded headers a client sends are replaced with the peer address by default', async () => {
    const raw = await rawExchange(router.address.main, 'GET /headers HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n');
    const { headers } = seen(raw);
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-real-ip'], '127.0.0.1');
    assert.equal(headers.forwarded, 'for=127.0.0.1;host=shop.example;proto=http');
    assert.equal(headers['x-forwarded-proto'], 'http');
  });

  test('from a trusted proxy, forwarded headers are appended to', async () => {
    const trusting = await routerTo(backend.url, { trustedProxies: ['127.0.0.0/8'] });
    try {
      const raw = await rawExchange(trusting.address.main, 'GET /headers HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 203.0.113.9\r\nConnection: close\r\n\r\n');
      const { headers } = seen(raw);
      assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
      assert.equal(headers['x-forwarded-proto'], 'https');
      assert.equal(headers['x-real-ip'], '203.0.113.9');
    } finally {
      await trusting.close();
    }
  });

  test('an absolute-form target is accepted: its path is sent and its authority becomes Host', async () => {
    const raw = await rawExchange(router.address.main, 'GET http://shop.example/headers?x=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 200/);
    const body = seen(raw);
    assert.equal(body.url, '/headers?x=1');
    assert.equal(body.headers.host, 'shop.example');
  });

  test('a pipelined valid request followed by garbage gets its answer before the 400', async () => {
    const raw = await rawExchange(router.address.main, 'GET /slow?ms=100 HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\u0001 / nonsense\r\n\r\n');
    const ok = raw.indexOf('HTTP/1.1 200');
    const bad = raw.indexOf('HTTP/1.1 400');
    assert.ok(ok >= 0, `the first request was answered: ${JSON.stringify(raw.slice(0, 200))}`);
    assert.ok(bad > ok, 'the 400 comes after it');
    assert.match(raw, /blue slow/);
  });

  test('a slow and a fast pipelined request followed by garbage get both answers, in order, before the 400', async () => {
    // The fast one is done upstream first, but its answer waits for the slow one's, and so must the 400.
    const raw = await rawExchange(router.address.main, 'GET /slow?ms=150 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\u0001 / nonsense\r\n\r\n');
    const answers = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(answers, ['200', '200', '400'], JSON.stringify(raw.slice(0, 400)));
    assert.ok(raw.indexOf('blue slow') < raw.lastIndexOf('HTTP/1.1 200'), 'the slow answer comes first');
  });

  test('garbage on a keep-alive connection whose last answer is complete gets its 400 at once', async () => {
    const socket = connect(Number(new URL(router.address.main).port), '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { raw += chunk; });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    while (!/\r\n\r\n[\s\S]*blue/.test(raw)) await new Promise((r) => setTimeout(r, 10));
    const sentAt = performance.now();
    socket.write('GARBAGE\u0001 / nonsense\r\n\r\n');
    await closed;
    assert.ok(performance.now() - sentAt < 5_000, 'answered without waiting for any timeout');
    assert.match(raw.slice(raw.indexOf('blue')), /HTTP\/1\.1 400 Bad Request/);
  });

  test('Connection: close, Host does not strip Host', async () => {
    const raw = await rawExchange(router.address.main, 'GET /headers HTTP/1.1\r\nHost: shop.example\r\nConnection: close, Host\r\n\r\n');
    assert.equal(seen(raw).headers.host, 'shop.example');
  });

  test('HTTP/1.0 without Host gets the listener\'s host, not the replica\'s address', async () => {
    const raw = await rawExchange(router.address.main, 'GET /headers HTTP/1.0\r\n\r\n');
    assert.equal(seen(raw).headers.host, new URL(router.address.main).host);
  });

  test('an error answer names no internal address', async () => {
    const dead = createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const r2 = await routerTo(`http://127.0.0.1:${(dead.address() as AddressInfo).port}`);
    try {
      const raw = await rawExchange(r2.address.main, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
      assert.match(raw, /^HTTP\/1\.1 502/);
      assert.doesNotMatch(raw, /127\.0\.0\.1|:\d{4,5}\b/);
    } finally {
      await r2.close();
      dead.close();
    }
  });
});

describe('router: an upstream that answers before reading the body', () => {
  let upstream: Server;
  let router: Router;
  before(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end('upload too large for this app\n');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    router = await routerTo(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });
  after(async () => {
    await router.close();
    upstream.close();
  });

  test('its early 413 for a 50 MB upload reaches the client', { timeout: 30_000 }, async () => {
    const size = 50 * 1024 * 1024;
    const url = new URL(router.address.main);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/upload', headers: { 'content-length': size } }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!req.write(chunk)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
    assert.equal(answer.status, 413, answer.body);
    assert.equal(answer.body, 'upload too large for this app\n');
  });
});

describe('router: limits (off by default)', () => {
  let backend: TestBackend;
  before(async () => { backend = await startTestBackend('blue'); });
  after(async () => { await backend.close(); });

  test('router.maxRequestBody answers 413 for a declared or a chunked body over the limit, and passes smaller ones', async () => {
    const router = await routerTo(backend.url, { maxRequestBodyBytes: 1_000 });
    try {
      const declared = await rawExchange(router.address.main, `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`);
      assert.match(declared, /^HTTP\/1\.1 413/);
      const chunk = 'x'.repeat(600);
      const chunked = await rawExchange(router.address.main, `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`);
      assert.match(chunked, /^HTTP\/1\.1 413/);
      const small = await rawExchange(router.address.main, `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789`);
      assert.match(small, /^HTTP\/1\.1 200[\s\S]*0123456789/);
    } finally {
      await router.close();
    }
  });

  test('without a limit, a large body passes', async () => {
    const router = await routerTo(backend.url);
    try {
      const big = 'y'.repeat(200_000);
      const answer = await rawExchange(router.address.main, `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`);
      assert.match(answer, /^HTTP\/1\.1 200/);
      assert.equal(answer.slice(answer.indexOf('\r\n\r\n')).split('y').length - 1, big.length, 'the whole body came back');
    } finally {
      await router.close();
    }
  });

  test('router.maxConnections closes connections beyond the limit', async () => {
    const router = await routerTo(backend.url, { maxConnections: 2 });
    const url = new URL(router.address.main);
    const open = await Promise.all([0, 1].map(() => new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect({ host: url.hostname, port: Number(url.port) }, () => resolve(s));
    })));
    try {
      await new Promise((r) => setTimeout(r, 50));
      const third = await rawExchange(router.address.main, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 2_000);
      assert.equal(third, '', 'the third connection is closed without an answer');
      open[0]!.destroy();
      await new Promise((r) => setTimeout(r, 50));
      assert.match(await rawExchange(router.address.main, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200/);
    } finally {
      open.forEach((s) => s.destroy());
      await router.close();
    }
  });
});

describe('router: the HTTP edge on a WebSocket upgrade', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startTestBackend('blue');
  });
  after(async () => {
    await backend.close();
  });

  /** Opens a real WebSocket through `router` with the given request headers; returns what the backend saw. */
  async function upgradeThrough(router: Router, headers: Record<string, string>): Promise<Record<string, string | string[] | undefined>> {
    const path = `/ws-${Math.random().toString(36).slice(2)}`;
    const ws = new WebSocket(`${router.address.main.replace('http', 'ws')}${path}`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send('ping');
    const echoed = await new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    assert.equal(echoed, 'blue:ping');
    ws.close();
    return backend.arrivals.filter((a) => a.path === path).at(-1)!.headers;
  }

  test('an absolute-form target on an upgrade is rewritten as for plain HTTP: its path is sent and its authority becomes Host', async () => {
    const router = await routerTo(backend.url);
    try {
      const path = `/ws-${Math.random().toString(36).slice(2)}`;
      const raw = await rawExchange(router.address.main,
        `GET http://shop.example${path}?room=1 HTTP/1.1\r\nHost: other.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 1_000);
      assert.match(raw, /^HTTP\/1\.1 101/, raw);
      const arrival = backend.arrivals.filter((a) => a.path.includes(path)).at(-1);
      assert.equal(arrival?.path, `${path}?room=1`);
      assert.equal(arrival?.headers.host, 'shop.example');
    } finally {
      await router.close();
    }
  });

  test('an upgrade naming its ws:// URL is rewritten too; one whose target is neither a path nor such a URL gets 400', async () => {
    const router = await routerTo(backend.url);
    const upgrade = (target: string) => rawExchange(router.address.main,
      `GET ${target} HTTP/1.1\r\nHost: other.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 1_000);
    try {
      const path = `/ws-${Math.random().toString(36).slice(2)}`;
      assert.match(await upgrade(`ws://shop.example${path}`), /^HTTP\/1\.1 101/);
      assert.equal(backend.arrivals.filter((a) => a.path.includes(path)).at(-1)?.path, path);
      const refused = await upgrade('ftp://shop.example/ws');
      assert.match(refused, /^HTTP\/1\.1 400/, refused);
      assert.match(refused, /the request target must be a path/);
    } finally {
      await router.close();
    }
  });

  test('by default, a client\'s forwarded headers are replaced with the peer address, as for plain HTTP', async () => {
    const router = await routerTo(backend.url);
    try {
      const seenHeaders = await upgradeThrough(router, { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https', 'X-Real-IP': '6.6.6.6', Host: 'shop.example' });
      assert.equal(seenHeaders['x-forwarded-for'], '127.0.0.1');
      assert.equal(seenHeaders['x-forwarded-proto'], 'http');
      assert.equal(seenHeaders['x-real-ip'], '127.0.0.1');
      assert.equal(seenHeaders.forwarded, 'for=127.0.0.1;host=shop.example;proto=http');
    } finally {
      await router.close();
    }
  });

  test('from a trusted proxy, the chain is appended to and its proto, host and real IP are kept, as for plain HTTP', async () => {
    const router = await routerTo(backend.url, { trustedProxies: ['127.0.0.0/8'] });
    try {
      const seenHeaders = await upgradeThrough(router, {
        'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example',
        'X-Real-IP': '203.0.113.9', Forwarded: 'for=203.0.113.9;proto=https', Host: 'internal:8080',
      });
      assert.equal(seenHeaders['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
      assert.equal(seenHeaders['x-forwarded-proto'], 'https');
      assert.equal(seenHeaders['x-forwarded-host'], 'shop.example');
      assert.equal(seenHeaders['x-real-ip'], '203.0.113.9');
      assert.equal(seenHeaders.forwarded, 'for=203.0.113.9;proto=https, for=127.0.0.1;host="internal:8080";proto=http');
    } finally {
      await router.close();
    }
  });
});
