import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { request } from 'undici';
import { refusedPort, startLoopbackServer } from '../../../test/support/loopback-server.ts';
import { Router } from '../../router/router.ts';
import type { MeasureContext } from '../provider.ts';
import { providerContract } from '../../../test/support/metric-provider-contract.ts';
import { BuiltinProvider } from './builtin-provider.ts';
import type { BuiltinQuery } from './builtin-query.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import { parsePrometheusText } from './prometheus-text.ts';
import { routerCountersFromText } from './router-exposition.ts';
import { histogramQuantile } from './router-traffic.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

/** The router's metric names and labels, registered the way the router does (its own prom-client Registry). */
function routerRegistry() {
  const registry = new Registry();
  const requests = new Counter({ name: 'cutover_router_requests_total', help: 'requests', labelNames: ['color', 'listener', 'class'], registers: [registry] });
  const duration = new Histogram({
    name: 'cutover_router_request_duration_seconds',
    help: 'latency',
    labelNames: ['color', 'listener'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'cutover_router_requests_in_flight', help: 'in flight', labelNames: ['color', 'listener'], registers: [registry] });
  const serve = (color: string, listener: string, status: number, seconds: number, times = 1) => {
    for (let i = 0; i < times; i++) {
      requests.inc({ color, listener, class: `${Math.floor(status / 100)}xx` });
      duration.observe({ color, listener }, seconds);
    }
  };
  return { registry, serve, inFlight };
}

/** A function source fed from Prometheus text, read the way a query's `url` is. */
function exposition(text: () => Promise<string>): () => Promise<RouterCounters> {
  return async () => routerCountersFromText(await text(), 'the test registry');
}

providerContract<BuiltinQuery>('builtin', async () => {
  // Every scrape sees one more "second" of traffic: blue 1% 5xx, green 10% 5xx.
  const router = routerRegistry();
  const metrics = await startLoopbackServer(async (_req, res) => {
    router.serve('blue', 'main', 200, 0.01, 99);
    router.serve('blue', 'main', 500, 0.01, 1);
    router.serve('green', 'preview', 200, 0.02, 90);
    router.serve('green', 'preview', 503, 0.02, 10);
    res.end(await router.registry.metrics());
  });
  const idle = routerRegistry();
  idle.inFlight.set({ color: 'green', listener: 'main' }, 0);
  const idleMetrics = await startLoopbackServer(async (_req, res) => res.end(await idle.registry.metrics()));
  const hanging = await startLoopbackServer(() => {});
  const garbage = await startLoopbackServer((_req, res) => res.end('<!doctype html><title>Not the router</title>'));
  const port = await refusedPort();
  return {
    provider: new BuiltinProvider(`${metrics.url}/metrics`),
    windowMs: 300,
    good: { query: { kind: 'builtin', metric: 'error-rate' }, expected: { blue: 0.01, green: 0.1 } },
    unreachable: { query: { kind: 'builtin', metric: 'error-rate', url: `http://127.0.0.1:${port}/metrics` } },
    hanging: { query: { kind: 'builtin', metric: 'error-rate', url: `${hanging.url}/metrics`, timeout: '700ms' }, timeoutMs: 700 },
    garbage: { query: { kind: 'builtin', metric: 'error-rate', url: `${garbage.url}/metrics` } },
    empty: { query: { kind: 'builtin', metric: 'error-rate', url: `${idleMetrics.url}/metrics` } },
    close: async () => {
      await Promise.all([metrics.close(), idleMetrics.close(), hanging.close(), garbage.close()]);
    },
  };
});

describe('builtin provider', () => {
  const at = (color: 'blue' | 'green', windowMs = 200): MeasureContext => ({ app: 'shop-api', color, version: 'v', windowMs });

  test('p50/p99 come from the histogram of the window: a 3x slower green shows a 3x higher p99', async () => {
    const router = routerRegistry();
    const provider = new BuiltinProvider(exposition(() => {
      router.serve('blue', 'main', 200, 0.04, 100);
      router.serve('green', 'main', 200, 0.12, 100);
      return router.registry.metrics();
    }));
    const blue = await provider.measure({ kind: 'builtin', metric: 'latency' }, at('blue'));
    const green = await provider.measure({ kind: 'builtin', metric: 'latency', quantile: 0.99 }, at('green'));
    assert.equal(blue.phase, 'successful', blue.message);
    // Interpolated inside the bucket as histogram_quantile() does: blue in (0.025, 0.05], green in (0.1, 0.25].
    assert.ok(Math.abs(blue.value! - (0.025 + 0.025 * 0.99)) < 1e-9, `blue p99 ${blue.value}`);
    assert.ok(Math.abs(green.value! - (0.1 + 0.15 * 0.99)) < 1e-9, `green p99 ${green.value}`);
    assert.match(green.message!, /p99 of \d+ requests to green/);
    const median = await provider.measure({ kind: 'builtin', metric: 'latency', quantile: 0.5 }, at('green'));
    assert.ok(Math.abs(median.value! - (0.1 + 0.15 * 0.5)) < 1e-9);
  });

  test('only the window counts: 5xx from before it no longer show once a clean window has passed', async () => {
    const router = routerRegistry();
    router.serve('green', 'main', 500, 0.01, 50);
    const provider = new BuiltinProvider(exposition(() => {
      router.serve('green', 'main', 200, 0.01, 10);
      return router.registry.metrics();
    }));
    const first = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    assert.equal(first.value, 0, 'the old errors happened before the first scrape');
    await new Promise((resolve) => setTimeout(resolve, 250));
    router.serve('green', 'main', 502, 0.01, 10);
    const second = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    assert.equal(second.value, 10 / 20, second.message);
    assert.match(second.message!, /10\/20 requests to green answered 5xx in the last/);
  });

  test('include4xx and listener narrow what counts; request-rate is per second; in-flight is the gauge now', async () => {
    const router = routerRegistry();
    router.inFlight.set({ color: 'green', listener: 'main' }, 3);
    router.inFlight.set({ color: 'green', listener: 'preview' }, 1);
    const provider = new BuiltinProvider(exposition(() => {
      router.serve('green', 'main', 200, 0.01, 6);
      router.serve('green', 'main', 404, 0.01, 2);
      router.serve('green', 'preview', 500, 0.01, 2);
      return router.registry.metrics();
    }));
    const plain = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    assert.equal(plain.value, 2 / 10);
    const with4xx = await provider.measure({ kind: 'builtin', metric: 'error-rate', include4xx: true }, at('green'));
    assert.equal(with4xx.value, 4 / 10);
    const mainOnly = await provider.measure({ kind: 'builtin', metric: 'error-rate', listener: 'main' }, at('green'));
    assert.equal(mainOnly.value, 0);
    const rate = await provider.measure({ kind: 'builtin', metric: 'request-rate' }, at('green', 1_000));
    assert.ok(rate.value! > 0 && rate.value! < 10 / 0.2, `requests/s ${rate.value}`);
    const inFlight = await provider.measure({ kind: 'builtin', metric: 'in-flight' }, at('green'));
    assert.equal(inFlight.value, 4);
  });

  test('a router restart (counters going down) is read as a reset, never as negative traffic', async () => {
    let router = routerRegistry();
    router.serve('green', 'main', 200, 0.01, 1_000);
    const provider = new BuiltinProvider(exposition(async () => router.registry.metrics()));
    await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    router = routerRegistry();
    router.serve('green', 'main', 200, 0.01, 8);
    router.serve('green', 'main', 500, 0.01, 2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const m = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    assert.equal(m.value, 2 / 10);
  });

  test("reads the real router's counters in-process (JSON, no text): green's 500s and slower answers show against blue", async () => {
    let greenServed = 0;
    const blue = await startLoopbackServer((_req, res) => res.end('blue'));
    const green = await startLoopbackServer((_req, res) => {
      greenServed++;
      res.statusCode = greenServed % 4 === 0 ? 500 : 200;
      setTimeout(() => res.end('green'), 30);
    });
    const router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 500 });
    try {
      router.setUpstreams('blue', [blue.url]);
      router.setUpstreams('green', [green.url]);
      router.switchTo('blue');
      router.setPreview('green');
      const provider = new BuiltinProvider(async () => router.counters());
      const send = async (url: string, n: number) => {
        for (let i = 0; i < n; i++) await (await request(url)).body.dump();
      };
      await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green', 10_000));
      await Promise.all([send(router.address.main, 20), send(router.address.preview!, 20)]);
      const greenErrors = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('green', 10_000));
      const blueErrors = await provider.measure({ kind: 'builtin', metric: 'error-rate' }, at('blue', 10_000));
      assert.equal(greenErrors.value, 0.25, greenErrors.message);
      assert.equal(blueErrors.value, 0, blueErrors.message);
      const previewOnly = await provider.measure({ kind: 'builtin', metric: 'latency', quantile: 0.5, listener: 'preview' }, at('green', 10_000));
      const blueLatency = await provider.measure({ kind: 'builtin', metric: 'latency', quantile: 0.5 }, at('blue', 10_000));
      assert.ok(previewOnly.value! >= 0.02 && previewOnly.value! <= 0.06, `green p50 ${previewOnly.value}`);
      assert.ok(blueLatency.value! < 0.02, `blue p50 ${blueLatency.value}`);
    } finally {
      await router.close();
      await Promise.all([blue.close(), green.close()]);
    }
  });

  test('a first reading waits for its second scrape on the injected clock, and its span is that clock\'s', { timeout: 10_000 }, async () => {
    const clock = new VirtualClock();
    const router = routerRegistry();
    const metrics = await startLoopbackServer(async (_req, res) => {
      router.serve('green', 'main', 200, 0.01, 40);
      res.end(await router.registry.metrics());
    });
    try {
      const provider = new BuiltinProvider(`${metrics.url}/metrics`, clock);
      let settled = false;
      const reading = provider.measure({ kind: 'builtin', metric: 'request-rate' }, at('green', 800)).finally(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 1_200));
      assert.equal(settled, false, 'no time passed on the clock: still waiting for the second scrape');
      const m = await clock.run(reading);
      assert.equal(m.phase, 'successful', m.message);
      assert.equal(m.message, '40 requests to green in the last 800ms');
      assert.equal(m.value, 50);
    } finally {
      await metrics.close();
    }
  });

  test('without a metrics source (no local router) every reading is an error saying so', async () => {
    const m = await new BuiltinProvider().measure({ kind: 'builtin', metric: 'error-rate' }, at('green'));
    assert.equal(m.phase, 'error');
    assert.match(m.message!, /need the local router/);
  });
});

describe('Prometheus text and histogram quantiles', () => {
  test('parses labels with escapes, special values and timestamps', () => {
    const samples = parsePrometheusText(
      ['# HELP x help', '# TYPE x counter', 'x{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 3 1700000000000', 'y +Inf', 'z NaN', 'w{le="+Inf",} -2.5e-3', ''].join('\n'),
    );
    assert.deepEqual(samples[0], { name: 'x', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: 3 });
    assert.equal(samples[1].value, Infinity);
    assert.ok(Number.isNaN(samples[2].value));
    assert.deepEqual(samples[3], { name: 'w', labels: { le: '+Inf' }, value: -0.0025 });
  });

  test('refuses text that is not the exposition format, naming the line', () => {
    assert.throws(() => parsePrometheusText('# ok\nx 1\n{"errorRate": 0.1}'), /line 3 reads "\{"errorRate": 0\.1\}"/);
    assert.throws(() => parsePrometheusText('x{a=unquoted} 1'), /line 1/);
    assert.throws(() => parsePrometheusText('x one'), /line 1/);
  });

  test('quantiles interpolate inside the bucket like histogram_quantile()', () => {
    const buckets = [
      { le: 1, count: 10 },
      { le: 2, count: 20 },
      { le: Infinity, count: 20 },
    ];
    assert.equal(histogramQuantile(0.5, buckets), 1);
    assert.equal(histogramQuantile(0.75, buckets), 1.5);
    assert.equal(histogramQuantile(0.25, buckets), 0.5);
    assert.equal(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }]), 1, 'the +Inf bucket reports the highest finite bound');
    assert.equal(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }]), undefined);
  });
});
