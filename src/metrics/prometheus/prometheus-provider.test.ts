import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refusedPort, startLoopbackServer, type LoopbackServer } from '../../../test/support/loopback-server.ts';
import type { MeasureContext } from '../provider.ts';
import { providerContract } from '../../../test/support/metric-provider-contract.ts';
import { PrometheusProvider } from './prometheus-provider.ts';
import type { PrometheusQuery } from './prometheus-query.ts';

const ERROR_RATES: Record<string, number> = { blue: 0.002, green: 0.04 };

/** Answers the Prometheus HTTP API the way a real server shapes its JSON; the real one is in prometheus.prom.test.ts. */
function fakePrometheus(seen: URL[] = []): Promise<LoopbackServer> {
  return startLoopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url);
    const query = url.searchParams.get('query') ?? '';
    const color = /color="(\w+)"/.exec(query)?.[1] ?? '';
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (query.includes('syntax error')) return send(400, { status: 'error', errorType: 'bad_data', error: '1:8: parse error: unexpected identifier "error"' });
    const series = (value: string) => ({ metric: { color }, value: [Number(url.searchParams.get('time')), value] });
    if (url.pathname === '/api/v1/query_range') {
      const start = Number(url.searchParams.get('start'));
      const step = Number(url.searchParams.get('step'));
      const values = [0.1, 0.2, 'NaN', 0.4].map((v, i) => [start + i * step, String(v)]);
      return send(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { color }, values }] } });
    }
    if (query.startsWith('scalar(')) return send(200, { status: 'success', data: { resultType: 'scalar', result: [0, '42'] } });
    if (query.includes('absent_metric')) return send(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    if (query.includes('by (color)')) return send(200, { status: 'success', data: { resultType: 'vector', result: [series('1'), series('2')] } });
    if (query.includes('zero_traffic')) return send(200, { status: 'success', data: { resultType: 'vector', result: [series('NaN')] } });
    return send(200, { status: 'success', data: { resultType: 'vector', result: [series(String(ERROR_RATES[color]))] } });
  });
}

providerContract<PrometheusQuery>('prometheus', async () => {
  const prometheus = await fakePrometheus();
  const hanging = await startLoopbackServer(() => {});
  const garbage = await startLoopbackServer((_req, res) => res.end('<html>Grafana</html>'));
  const port = await refusedPort();
  const errorRate = 'sum(rate(cutover_router_requests_total{color="${color}",class="5xx"}[${window}]))';
  return {
    provider: new PrometheusProvider(),
    good: { query: { kind: 'prometheus', address: prometheus.url, query: errorRate }, expected: ERROR_RATES },
    unreachable: { query: { kind: 'prometheus', address: `http://127.0.0.1:${port}`, query: errorRate } },
    hanging: { query: { kind: 'prometheus', address: hanging.url, query: errorRate, timeout: '700ms' }, timeoutMs: 700 },
    garbage: { query: { kind: 'prometheus', address: garbage.url, query: errorRate } },
    empty: { query: { kind: 'prometheus', address: prometheus.url, query: 'absent_metric{color="${color}"}' } },
    close: async () => {
      await Promise.all([prometheus.close(), hanging.close(), garbage.close()]);
    },
  };
});

describe('prometheus provider', () => {
  const ctx: MeasureContext = { app: 'shop-api', color: 'green', version: 'v2"; drop', windowMs: 30_000 };

  test('substitutes ${window} as a PromQL duration and escapes values inside string literals', async () => {
    const seen: URL[] = [];
    const server = await fakePrometheus(seen);
    try {
      await new PrometheusProvider().measure(
        { kind: 'prometheus', address: `${server.url}/`, query: 'sum(rate(x{app="${app}",color="${color}",version="${version}"}[${window}]))' },
        ctx,
      );
      assert.equal(seen[0].pathname, '/api/v1/query');
      assert.equal(seen[0].searchParams.get('query'), 'sum(rate(x{app="shop-api",color="green",version="v2\\"; drop"}[30s]))');
    } finally {
      await server.close();
    }
  });

  test('a range query gives every finite point as a sample and the last as the value', async () => {
    const seen: URL[] = [];
    const server = await fakePrometheus(seen);
    try {
      const m = await new PrometheusProvider().measure(
        { kind: 'prometheus', address: server.url, query: 'x{color="${color}"}', range: { duration: '2m', step: '10s' } },
        ctx,
      );
      assert.equal(m.phase, 'successful');
      assert.deepEqual(m.values, [0.1, 0.2, 0.4]);
      assert.equal(m.value, 0.4);
      const url = seen[0];
      assert.equal(url.pathname, '/api/v1/query_range');
      assert.equal(Number(url.searchParams.get('end')) - Number(url.searchParams.get('start')), 120);
      assert.equal(url.searchParams.get('step'), '10');
    } finally {
      await server.close();
    }
  });

  test('NaN (0/0 with no traffic) is inconclusive, several series are an error that says to aggregate, a scalar is a value', async () => {
    const server = await fakePrometheus();
    try {
      const provider = new PrometheusProvider();
      const nan = await provider.measure({ kind: 'prometheus', address: server.url, query: 'zero_traffic' }, ctx);
      assert.equal(nan.phase, 'inconclusive');
      assert.match(nan.message!, /NaN/);
      const many = await provider.measure({ kind: 'prometheus', address: server.url, query: 'sum by (color) (x)' }, ctx);
      assert.equal(many.phase, 'error');
      assert.match(many.message!, /returned 2 series .*aggregate it/);
      const scalar = await provider.measure({ kind: 'prometheus', address: server.url, query: 'scalar(x)' }, ctx);
      assert.equal(scalar.value, 42);
    } finally {
      await server.close();
    }
  });

  test("a query Prometheus rejects is an error carrying Prometheus' own explanation", async () => {
    const server = await fakePrometheus();
    try {
      const m = await new PrometheusProvider().measure({ kind: 'prometheus', address: server.url, query: 'syntax error' }, ctx);
      assert.equal(m.phase, 'error');
      assert.match(m.message!, /answered 400: 1:8: parse error/);
    } finally {
      await server.close();
    }
  });
});
