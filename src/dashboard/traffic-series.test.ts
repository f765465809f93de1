import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouterMetrics } from '../router/router-metrics.ts';
import { trafficMarkers } from './app-view.ts';
import { RouterTrafficFeed } from './router-traffic-feed.ts';
import { TrafficSeries } from './traffic-series.ts';

describe('traffic series from the router metrics', () => {
  it('turns two counter snapshots into req/s, 5xx share and latency quantiles per color', async () => {
    const metrics = new RouterMetrics(() => 'blue');
    const feed = new RouterTrafficFeed(async () => metrics.snapshot());
    const series = new TrafficSeries();
    assert.equal(feed.add(metrics.snapshot(), 1_000), null);
    const blue = metrics.counters('blue', 'main');
    for (let i = 0; i < 90; i++) blue.record(200, 0.004);
    for (let i = 0; i < 10; i++) blue.record(503, 0.2);
    const point = feed.add(metrics.snapshot(), 3_000)!;
    series.push(point);
    assert.equal(point.blue.rps, 50);
    assert.equal(point.blue.errorRate, 0.1);
    assert.ok(point.blue.p50Ms! > 3 && point.blue.p50Ms! <= 4, `p50 ${point.blue.p50Ms}`);
    assert.ok(point.blue.p99Ms! > 150 && point.blue.p99Ms! <= 200, `p99 ${point.blue.p99Ms}`);
    assert.equal(point.green.rps, 0);
    assert.equal(point.green.errorRate, null);
    assert.equal(series.snapshot().blue.length, 1);
  });

  it('keeps a bounded window', async () => {
    const metrics = new RouterMetrics(() => 'blue');
    const feed = new RouterTrafficFeed(async () => metrics.snapshot());
    const series = new TrafficSeries(3);
    for (let t = 0; t < 10; t++) {
      const points = feed.add(metrics.snapshot(), t * 1000);
      if (points) series.push(points);
    }
    assert.deepEqual(series.snapshot().blue.map((p) => p.at), [7000, 8000, 9000]);
  });

  it('marks each successful switch and rollback at the moment its phase ended', () => {
    const phase = (name: string, status: string) => ({ name, status, startedAt: '2026-12-01T10:00:00.000Z', durationMs: 250, detail: '' });
    const markers = trafficMarkers([
      { at: 'x', operationId: 'a', kind: 'deploy', event: 'phase', version: 'v2', phase: phase('verify', 'succeeded'), live: { color: 'blue', version: 'v1' } },
      { at: 'x', operationId: 'a', kind: 'deploy', event: 'phase', version: 'v2', phase: phase('switch', 'succeeded'), live: { color: 'green', version: 'v2' } },
      { at: 'x', operationId: 'b', kind: 'deploy', event: 'phase', version: 'v3', phase: phase('switch', 'failed'), live: { color: 'green', version: 'v2' } },
      { at: 'x', operationId: 'c', kind: 'rollback', event: 'phase', version: 'v1', phase: phase('rollback', 'succeeded'), live: { color: 'blue', version: 'v1' } },
    ] as never);
    assert.deepEqual(markers.map((m) => [m.kind, m.to, m.at]), [['switch', 'green', Date.parse('2026-12-01T10:00:00.250Z')], ['rollback', 'blue', Date.parse('2026-12-01T10:00:00.250Z')]]);
  });

  it('puts history that arrives late before the live points, oldest first, and keeps the window bounded', () => {
    const point = (at: number, rps: number) => ({ blue: { at, rps, errorRate: null, p50Ms: null, p99Ms: null }, green: { at, rps: 0, errorRate: null, p50Ms: null, p99Ms: null } });
    const series = new TrafficSeries(5);
    series.push(point(10_000, 1));
    series.push(point(11_000, 1));
    // The history overlaps the live points at 10 s and 11 s: those stay as sampled live.
    series.backfill([point(7_000, 9), point(8_000, 9), point(9_000, 9), point(10_000, 9), point(11_000, 9)]);
    assert.deepEqual(series.snapshot().blue.map((p) => [p.at, p.rps]), [[7_000, 9], [8_000, 9], [9_000, 9], [10_000, 1], [11_000, 1]]);
    series.backfill([point(5_000, 9), point(6_000, 9)]);
    assert.deepEqual(series.snapshot().blue.map((p) => p.at), [7_000, 8_000, 9_000, 10_000, 11_000], 'the window keeps the newest points');
  });
});
