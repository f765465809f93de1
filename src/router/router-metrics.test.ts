import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { httpRequest } from '../../test/support/test-client.ts';

/** The value of one sample line, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('router: Prometheus metrics', () => {
  let blue: TestBackend;
  let green: TestBackend;
  let router: Router;

  before(async () => {
    blue = await startTestBackend('blue');
    green = await startTestBackend('green');
    router = await Router.start({
      listen: { host: '127.0.0.1', port: 0 },
      preview: { host: '127.0.0.1', port: 0 },
      metrics: { host: '127.0.0.1', port: 0 },
      drainTimeoutMs: 500,
    });
    router.setUpstreams('blue', [blue.url]);
    router.setUpstreams('green', [green.url]);
  });

  after(async () => {
    await router.close();
    await Promise.all([blue.close(), green.close()]);
  });

  test('count requests per color, listener and status class, with latency and in-flight', async () => {
    await httpRequest(router.address.main); // 503: nothing live yet
    router.switchTo('blue');
    router.setPreview('green');
    for (let i = 0; i < 3; i++) await httpRequest(`${router.address.main}/`);
    await httpRequest(`${router.address.main}/status?code=302`);
    await httpRequest(`${router.address.main}/status?code=404`);
    await httpRequest(`${router.address.main}/status?code=404`);
    await httpRequest(`${router.address.main}/status?code=500`);
    await httpRequest(`${router.address.preview}/`);
    await httpRequest(`${router.address.preview}/`);

    const slow = httpRequest(`${router.address.main}/slow?ms=300`);
    while (!blue.arrivals.some((a) => a.path.startsWith('/slow'))) await new Promise((r) => setTimeout(r, 5));
    const during = await router.metricsText();
    assert.equal(sample(during, 'cutover_router_requests_in_flight{color="blue",listener="main"}'), 1);
    assert.equal(sample(during, 'cutover_router_requests_in_flight{color="green",listener="preview"}'), 0);
    await slow;

    const text = await router.metricsText();
    const total = (color: string, listener: string, cls: string) =>
      sample(text, `cutover_router_requests_total{color="${color}",listener="${listener}",class="${cls}"}`);
    assert.equal(total('blue', 'main', '2xx'), 4);
    assert.equal(total('blue', 'main', '3xx'), 1);
    assert.equal(total('blue', 'main', '4xx'), 2);
    assert.equal(total('blue', 'main', '5xx'), 1);
    assert.equal(total('green', 'preview', '2xx'), 2);
    assert.equal(total('green', 'main', '2xx'), 0);
    assert.equal(total('none', 'main', '5xx'), 1);
    assert.equal(sample(text, 'cutover_router_requests_in_flight{color="blue",listener="main"}'), 0);
    assert.equal(sample(text, 'cutover_router_request_duration_seconds_count{color="blue",listener="main"}'), 8);
    // The 300 ms request lands above the 0.2 s bucket, the quick ones below it.
    assert.equal(sample(text, 'cutover_router_request_duration_seconds_bucket{le="0.2",color="blue",listener="main"}'), 7);
    assert.equal(sample(text, 'cutover_router_request_duration_seconds_bucket{le="10",color="blue",listener="main"}'), 8);
    assert.equal(sample(text, 'cutover_router_live_color_info{color="blue"}'), 1);
    assert.equal(sample(text, 'cutover_router_live_color_info{color="green"}'), 0);

    // Scraping twice must not count twice.
    assert.equal(total('blue', 'main', '2xx'), sample(await router.metricsText(), 'cutover_router_requests_total{color="blue",listener="main",class="2xx"}'));

    const stats = router.stats();
    assert.equal(stats.colors.blue.main.byClass['4xx'], 2);
    assert.equal(stats.colors.green.preview.requests, 2);
    assert.equal(stats.unrouted.main.requests, 1);
  });

  test('the metrics listener serves GET /metrics only', async () => {
    router.switchTo('green');
    const res = await httpRequest(`${router.address.metrics}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    assert.equal(sample(res.body, 'cutover_router_live_color_info{color="green"}'), 1);
    assert.match(res.body, /# TYPE cutover_router_request_duration_seconds histogram/);
    assert.equal((await httpRequest(`${router.address.metrics}/`)).status, 404);
  });

  test('each router has its own registry', async () => {
    const other = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 100 });
    try {
      const text = await other.metricsText();
      assert.equal(sample(text, 'cutover_router_requests_total{color="blue",listener="main",class="2xx"}'), 0);
      assert.equal(sample(text, 'cutover_router_live_color_info{color="green"}'), 0);
    } finally {
      await other.close();
    }
  });
});
