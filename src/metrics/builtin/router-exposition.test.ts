import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouterMetrics } from '../../router/router-metrics.ts';
import { routerCountersFromText } from './router-exposition.ts';

describe("the router's JSON counters and its exposition text", () => {
  test('say the same: requests by class, in flight, upstream errors, oldest in flight and the latency histogram', async () => {
    const metrics = new RouterMetrics(() => 'blue', (color) => (color === 'green' ? 2.5 : 0));
    const blueMain = metrics.counters('blue', 'main');
    for (let i = 0; i < 40; i++) blueMain.record(200, 0.003 * (i + 1));
    blueMain.record(302, 0.001);
    blueMain.record(404, 12);
    const greenMain = metrics.counters('green', 'main');
    greenMain.record(502, 0.2);
    greenMain.upstreamErrors = 1;
    greenMain.inFlight = 3;
    metrics.counters('green', 'preview').record(500, 0.05);
    metrics.counters('none', 'main').record(503, 0);

    const counters = metrics.snapshot();
    assert.deepEqual(counters, routerCountersFromText(await metrics.text(), 'the router'));
    // A second scrape (prom-client counts deltas between scrapes) changes neither side.
    assert.deepEqual(metrics.snapshot(), routerCountersFromText(await metrics.text(), 'the router'));

    assert.deepEqual(counters.colors.blue.main.requests, { '2xx': 40, '3xx': 1, '4xx': 1, '5xx': 0 });
    assert.equal(counters.colors.blue.main.latency.at(-1), 42, 'the +Inf bucket counts every request, 12 s included');
    assert.equal(counters.colors.blue.main.latency.at(-2), 41, 'the 12 s request is above the highest bound');
    assert.equal(counters.colors.green.main.oldestInFlightSeconds, 2.5);
    assert.equal(counters.colors.green.preview.oldestInFlightSeconds, 0, 'kept for the main listener only');
    assert.equal(counters.colors.green.main.upstreamErrors, 1);
    assert.equal(counters.colors.green.main.inFlight, 3);
    assert.equal(counters.latencyBoundsSeconds.length + 1, counters.colors.green.preview.latency.length);
  });

  test('a text without cutover_router_* samples, or not the exposition format, is refused naming its source', () => {
    assert.throws(() => routerCountersFromText('other_metric 1\n', 'http://x/metrics'), /http:\/\/x\/metrics exposes no cutover_router_\* metrics/);
    assert.throws(() => routerCountersFromText('{"requests": 1}', 'http://x/metrics'), /not Prometheus text: line 1/);
  });
});
