import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refusedPort, startLoopbackServer } from '../../../test/support/loopback-server.ts';
import type { MeasureContext } from '../provider.ts';
import { providerContract } from '../../../test/support/metric-provider-contract.ts';
import { WebProvider } from './web-provider.ts';
import type { WebQuery } from './web-query.ts';

const ERROR_RATES: Record<string, number> = { blue: 0.01, green: 0.05 };

providerContract<WebQuery>('web', async () => {
  const server = await startLoopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { errorRate: ERROR_RATES[url.searchParams.get('color') ?? ''] ?? null, version: url.searchParams.get('v') } }));
    } else if (url.pathname === '/garbage') {
      res.end('<html><body>502 Bad Gateway</body></html>');
    } else if (url.pathname !== '/hang') {
      res.statusCode = 404;
      res.end();
    }
  });
  const port = await refusedPort();
  return {
    provider: new WebProvider(),
    good: { query: { kind: 'web', url: `${server.url}/stats?color=\${color}&v=\${version}`, path: 'data.errorRate' }, expected: ERROR_RATES },
    unreachable: { query: { kind: 'web', url: `http://127.0.0.1:${port}/stats`, path: 'data.errorRate' } },
    hanging: { query: { kind: 'web', url: `${server.url}/hang`, timeout: '700ms' }, timeoutMs: 700 },
    garbage: { query: { kind: 'web', url: `${server.url}/garbage`, path: 'data.errorRate' } },
    empty: { query: { kind: 'web', url: `${server.url}/stats?color=none`, path: 'data.errorRate' } },
    close: () => server.close(),
  };
});

describe('web provider', () => {
  const ctx: MeasureContext = { app: 'shop api', color: 'green', version: 'v2 beta', windowMs: 1_000, targetUrl: 'http://127.0.0.1:1' };

  test('reads numbers, numeric strings, booleans and lists, and says what it found otherwise', async () => {
    const body = { a: { n: 0.5, s: '12.5', t: true, list: [1, 2, 3], text: 'high', nothing: null }, rows: [{ 'p 99': 0.25 }] };
    const server = await startLoopbackServer((_req, res) => res.end(JSON.stringify(body)));
    try {
      const provider = new WebProvider();
      const read = (path: string) => provider.measure({ kind: 'web', url: server.url, path }, ctx);
      assert.equal((await read('a.n')).value, 0.5);
      assert.equal((await read('$.a.s')).value, 12.5);
      assert.equal((await read('a.t')).value, 1);
      assert.equal((await read("rows[0]['p 99']")).value, 0.25);
      const list = await read('a.list');
      assert.deepEqual([list.value, list.values], [3, [1, 2, 3]]);
      const text = await read('a.text');
      assert.equal(text.phase, 'error');
      assert.match(text.message!, /a\.text of .* is "high", not a number/);
      const missing = await read('a.missing.deeper');
      assert.equal(missing.phase, 'error');
      assert.match(missing.message!, /the JSON has no a\.missing/);
      assert.equal((await read('a.nothing')).phase, 'inconclusive');
    } finally {
      await server.close();
    }
  });

  test('URL-encodes template values, leaves ${targetUrl} as is, and sends the headers', async () => {
    const seen: Array<{ url?: string; auth?: string }> = [];
    const server = await startLoopbackServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.end('{"v": 1}');
    });
    try {
      const provider = new WebProvider();
      const m = await provider.measure({ kind: 'web', url: `${server.url}/m?app=\${app}&version=\${version}&t=\${targetUrl}`, path: 'v', headers: { authorization: 'Bearer t0k' } }, ctx);
      assert.equal(m.phase, 'successful');
      assert.deepEqual(seen, [{ url: '/m?app=shop%20api&version=v2%20beta&t=http://127.0.0.1:1', auth: 'Bearer t0k' }]);
    } finally {
      await server.close();
    }
  });

  test('a non-2xx answer is an error quoting the status and the body', async () => {
    const server = await startLoopbackServer((_req, res) => {
      res.statusCode = 503;
      res.end('{"error":"warming up"}');
    });
    try {
      const m = await new WebProvider().measure({ kind: 'web', url: server.url, path: 'x' }, ctx);
      assert.equal(m.phase, 'error');
      assert.match(m.message!, /answered 503: "\{"error":"warming up"\}"/);
    } finally {
      await server.close();
    }
  });
});
