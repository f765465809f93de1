import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startLoopbackServer, type LoopbackServer } from '../../../test/support/loopback-server.ts';
import { startPrometheus, type RunningPrometheus } from '../../../test/support/prometheus.ts';
import { compileCondition } from '../../core/analysis/condition.ts';
import { runAnalysis } from '../../core/analysis/run-analysis.ts';
import { systemClock } from '../../core/deps.ts';
import type { Color } from '../../core/types.ts';
import { Router } from '../../router/router.ts';
import type { MeasureContext, Measurement } from '../provider.ts';
import { PrometheusProvider } from './prometheus-provider.ts';
import type { PrometheusQuery } from './prometheus-query.ts';

// Given the real router in front of two releases (blue: fast and clean, green: 10% 500s and
// slower), and a real Prometheus scraping the router's /metrics,
// when the prometheus provider asks for each color's error rate and p99,
// then it reads the numbers the traffic produced, color by color.

const ERROR_RATE = 'sum(rate(cutover_router_requests_total{color="${color}",class="5xx"}[${window}])) / sum(rate(cutover_router_requests_total{color="${color}"}[${window}]))';
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(cutover_router_request_duration_seconds_bucket{color="${color}"}[${window}])))';
/** Upper bound on the load, in case a test hangs; `after` stops it sooner. */
const MAX_TRAFFIC_MS = 60_000;
const WINDOW_MS = 4_000;

function release(color: Color, delayMs: number, failEvery: number): Promise<LoopbackServer> {
  let served = 0;
  return startLoopbackServer((_req, res) => {
    served++;
    const status = failEvery > 0 && served % failEvery === 0 ? 500 : 200;
    setTimeout(() => {
      res.statusCode = status;
      res.setHeader('x-cutover-color', color);
      res.end(color);
    }, delayMs);
  });
}

describe('prometheus provider against a real Prometheus scraping the router', () => {
  let blue: LoopbackServer;
  let green: LoopbackServer;
  let router: Router;
  let prometheus: RunningPrometheus;
  let trafficDone: Promise<number[]>;
  let trafficStop = false;
  const provider = new PrometheusProvider();
  const at = (color: Color): MeasureContext => ({ app: 'shop-api', color, version: color === 'blue' ? 'v1' : 'v2', windowMs: WINDOW_MS });
  const query = (promql: string, extra: Partial<PrometheusQuery> = {}): PrometheusQuery => ({ kind: 'prometheus', address: prometheus.url, query: promql, ...extra });

  /** Polls until Prometheus has enough scrapes for rate() to answer (bounded). */
  async function measureWhenReady(q: PrometheusQuery, ctx: MeasureContext): Promise<Measurement> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const m = await provider.measure(q, ctx);
      if (m.phase === 'successful' || Date.now() > deadline) return m;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  before(async () => {
    blue = await release('blue', 2, 0);
    green = await release('green', 60, 10);
    router = await Router.start({
      listen: { host: '127.0.0.1', port: 0 },
      preview: { host: '127.0.0.1', port: 0 },
      metrics: { host: '127.0.0.1', port: 0 },
      drainTimeoutMs: 1_000,
    });
    router.setUpstreams('blue', [blue.url]);
    router.setUpstreams('green', [green.url]);
    router.switchTo('blue');
    router.setPreview('green');
    // Bounded load: one client loop per listener until the tests end (at most MAX_TRAFFIC_MS).
    const loop = async (url: string) => {
      let sent = 0;
      const stopAt = Date.now() + MAX_TRAFFIC_MS;
      while (!trafficStop && Date.now() < stopAt) {
        const response = await request(url);
        await response.body.dump();
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return sent;
    };
    trafficDone = Promise.all([loop(router.address.main), loop(router.address.preview!)]);
    prometheus = await startPrometheus({ scrapeTargets: [`${router.address.metrics}/metrics`], scrapeIntervalMs: 250 });
    // Let scrapes fill one whole query window, so rate() sees the steady state, not the first two points.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  });

  after(async () => {
    trafficStop = true;
    await trafficDone?.catch(() => {});
    await prometheus?.stop();
    await router?.close();
    await Promise.all([blue?.close(), green?.close()]);
  });

  test('per-color error rate: about 10% for green, 0 for blue', async () => {
    const greenRate = await measureWhenReady(query(ERROR_RATE), at('green'));
    assert.equal(greenRate.phase, 'successful', greenRate.message);
    assert.ok(greenRate.value! > 0.05 && greenRate.value! < 0.15, `green error rate ${greenRate.value}`);
    const blueRate = await measureWhenReady(query(ERROR_RATE), at('blue'));
    assert.equal(blueRate.value, 0, blueRate.message);
  });

  test('per-color p99 from the router histogram: green near its 60 ms, blue far below', async () => {
    const greenP99 = await measureWhenReady(query(P99), at('green'));
    const blueP99 = await measureWhenReady(query(P99), at('blue'));
    assert.equal(greenP99.phase, 'successful', greenP99.message);
    assert.ok(greenP99.value! >= 0.05 && greenP99.value! <= 0.1, `green p99 ${greenP99.value}s`);
    assert.ok(blueP99.value! < 0.03, `blue p99 ${blueP99.value}s`);
  });

  test('a range query returns the window as samples', async () => {
    const m = await measureWhenReady(query(ERROR_RATE, { range: { duration: '3s', step: '1s' } }), at('green'));
    assert.equal(m.phase, 'successful', m.message);
    assert.ok(m.values && m.values.length >= 2, `samples: ${JSON.stringify(m.values)}`);
    assert.ok(m.values.every((v) => v > 0 && v < 0.3));
  });

  test('a series that does not exist is inconclusive, not a bad value', async () => {
    const m = await provider.measure(query('sum(rate(cutover_router_requests_total{color="${color}",listener="nope"}[${window}]))'), at('green'));
    assert.equal(m.phase, 'inconclusive', m.message);
  });

  test('the analysis engine fails green on its error rate and passes blue, reading through Prometheus', async () => {
    const judge = (color: Color) =>
      runAnalysis(
        {
          name: 'post-promotion',
          app: 'shop-api',
          canary: { color, version: 'v' },
          metrics: [
            {
              name: 'error-rate',
              provider: query(ERROR_RATE),
              intervalMs: 300,
              count: 2,
              initialDelayMs: 0,
              windowMs: 3_000,
              condition: compileCondition('result < 0.05'),
              failureLimit: 0,
              inconclusiveLimit: 0,
              consecutiveErrorLimit: 0,
              critical: true,
              readingTimeoutMs: 5_000,
            },
          ],
        },
        { providers: { prometheus: provider }, clock: systemClock },
      );
    const [greenResult, blueResult] = await Promise.all([judge('green'), judge('blue')]);
    assert.equal(greenResult.verdict, 'failed', greenResult.reason);
    assert.match(greenResult.reason, /breaks "result < 0\.05"/);
    assert.equal(blueResult.verdict, 'successful', blueResult.reason);
  });
});
