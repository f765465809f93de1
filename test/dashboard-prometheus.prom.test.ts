import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import { deploy } from '../src/core/operations/deploy.ts';
import { CachedCatalog } from '../src/dashboard/app-catalog.ts';
import { ConfiguredApp } from '../src/dashboard/dashboard-app.ts';
import { DashboardServer, type TrafficStatus } from '../src/dashboard/dashboard-server.ts';
import type { TrafficPoint } from '../src/dashboard/traffic-series.ts';
import type { AppView } from '../src/dashboard/app-view.ts';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { AnalysisWorkspace, baseConfig } from './support/analysis-workspace.ts';
import { startPrometheus, type RunningPrometheus } from './support/prometheus.ts';
import { until } from './support/until.ts';

// The dashboard's charts from `dashboard.traffic.prometheus`: a real Prometheus scrapes the
// router's metrics listener, and the dashboard asks it (not the router) for each color's
// req/s, error rate and p50/p99, as it does on Kubernetes where there is no router.

const REQUESTS = 'sum(rate(cutover_router_requests_total{color="${color}",listener="main"}[${window}]))';
const ERRORS = 'sum(rate(cutover_router_requests_total{color="${color}",listener="main",class="5xx"}[${window}]))';
const LATENCY = 'sum by (le) (rate(cutover_router_request_duration_seconds_bucket{color="${color}",listener="main"}[${window}]))';

function dashboardSection(address: string): string {
  return `dashboard:
  traffic:
    prometheus:
      address: "${address}"
      requests: '${REQUESTS}'
      errors: '${ERRORS}'
      latency: '${LATENCY}'
      window: 2s
      interval: 500ms
`;
}

interface AppResponse { view: AppView; traffic: Record<'blue' | 'green', TrafficPoint[]>; trafficSource: TrafficStatus }

async function signIn(server: DashboardServer): Promise<string> {
  const res = await request(server.mintUrl({ readOnly: true }));
  await res.body.dump();
  assert.equal(res.statusCode, 303);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

async function readApp(server: DashboardServer, cookie: string, app: string): Promise<AppResponse> {
  const res = await request(`${server.address}/api/apps/${app}`, { headers: { cookie } });
  assert.equal(res.statusCode, 200);
  return (await res.body.json()) as AppResponse;
}

test('charts from a real Prometheus: each color\'s req/s, error rate and latency, and the switch between them', { timeout: 120_000 }, async () => {
  const ws = await AnalysisWorkspace.create({ v1: { delayMs: 5 }, v2: { delayMs: 5 } }, baseConfig({ metricsListener: true }));
  let prometheus: RunningPrometheus | null = null;
  let load: LoadGenerator | null = null;
  let server: DashboardServer | null = null;
  try {
    prometheus = await startPrometheus({ scrapeTargets: [`${ws.daemon.router.address.metrics}/metrics`] });
    const config = baseConfig({ metricsListener: true, monitor: '3s' }) + dashboardSection(prometheus.url);
    assert.equal((await deploy(await ws.deps(config), 'v1', { yes: true })).outcome, 'promoted');
    server = new DashboardServer({ catalog: new CachedCatalog([await ConfiguredApp.open(ws.configPath)], async () => []), listen: '127.0.0.1:0' });
    await server.start();
    const cookie = await signIn(server);
    load = new LoadGenerator({ url: ws.mainUrl, model: 'open', ratePerSec: 40, durationMs: 100_000, path: '/api' }).start();

    // Given 40 req/s on blue, the dashboard charts what Prometheus counted
    let first = await readApp(server, cookie, 'analysis-scenario');
    assert.deepEqual(first.trafficSource, { kind: 'prometheus', address: prometheus.url, problem: null });
    // Blue serves for 3 s of charted points before v2 comes: the late dashboard's history has
    // one point per second over a 2 s rate window, so a shorter stretch can leave no point
    // whose window ended before the switch (seen once in CI: blue served 1.4 s).
    first = await until('3 s of blue\'s req/s from Prometheus', () => readApp(server!, cookie, 'analysis-scenario'), (r) => {
      const busy = r.traffic.blue.filter((p) => p.rps > 20);
      return busy.length > 0 && busy.at(-1)!.at - busy[0]!.at >= 3_000;
    });
    const blue = first.traffic.blue.filter((p) => p.rps > 20).at(-1)!;
    assert.ok(blue.rps < 60, `blue's req/s is about the 40/s sent: ${blue.rps}`);
    assert.equal(blue.errorRate, 0, 'no 5xx series in Prometheus counts as no errors');
    assert.ok(blue.p50Ms! > 0 && blue.p50Ms! <= blue.p99Ms! && blue.p99Ms! < 1_000, `p50 ${blue.p50Ms} ms, p99 ${blue.p99Ms} ms`);
    assert.ok(first.traffic.green.every((p) => p.rps === 0 && p.errorRate === null && p.p99Ms === null), 'green has no pods and no traffic yet');

    // When v2 is deployed under that load, green takes the traffic after the switch marker
    const result = await deploy(await ws.deps(config), 'v2', { yes: true });
    assert.equal(result.outcome, 'promoted', result.message);
    const switchMoment = (r: AppResponse) => r.view.markers.find((m) => m.kind === 'switch' && m.to === 'green')?.at;
    const after = await until('green\'s req/s from Prometheus after the switch', () => readApp(server!, cookie, 'analysis-scenario'), (r) => {
      const at = switchMoment(r);
      return at !== undefined && r.traffic.green.some((p) => p.at > at && p.rps > 20);
    });
    const switchAt = switchMoment(after)!;
    assert.ok(after.traffic.blue.some((p) => p.at < switchAt && p.rps > 20), 'the same window shows blue\'s traffic before the switch');
    assert.equal(after.trafficSource.problem, null);

    // A dashboard started after the switch charts it too: Prometheus kept the points.
    const late = new DashboardServer({ catalog: new CachedCatalog([await ConfiguredApp.open(ws.configPath)], async () => []), listen: '127.0.0.1:0' });
    try {
      await late.start();
      const lateCookie = await signIn(late);
      // Waits for blue's traffic from before the switch, not for any ten points: live points
      // alone would pass a count, and the history may come a few samples late when a read fails.
      const backfilled = await until('blue before the switch, from before this dashboard started', () => readApp(late, lateCookie, 'analysis-scenario'), (r) => r.traffic.blue.some((p) => p.at < switchAt && p.rps > 20), 20_000);
      assert.ok(backfilled.traffic.green.some((p) => p.at > switchAt && p.rps > 20), 'green after it');
      const times = backfilled.traffic.blue.map((p) => p.at);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first, history before the live points');
    } finally {
      await late.close();
    }

    // A requests query that names no metric gives no chart of zeros but says what to check.
    const misnamed = join(ws.dir, 'misnamed.yaml');
    writeFileSync(misnamed, config.replace(REQUESTS, REQUESTS.replace('cutover_router_requests_total', 'http_requests_total')));
    const other = new DashboardServer({ catalog: new CachedCatalog([await ConfiguredApp.open(misnamed)], async () => []), listen: '127.0.0.1:0' });
    try {
      await other.start();
      const otherCookie = await signIn(other);
      const seen = await until('the missing series named', () => readApp(other, otherCookie, 'analysis-scenario'), (r) => r.trafficSource.problem !== null, 20_000);
      assert.match(seen.trafficSource.problem!, /has no series for either color from dashboard\.traffic\.prometheus\.requests \(sum\(rate\(http_requests_total/);
      assert.deepEqual(seen.traffic, { blue: [], green: [] });
    } finally {
      await other.close();
    }
  } finally {
    if (load) await load.stop().catch(() => {});
    await server?.close();
    await prometheus?.stop();
    await ws.close();
  }
});

test('a Prometheus that cannot be reached is named where the charts are, not a blank chart', { timeout: 60_000 }, async () => {
  const ws = await AnalysisWorkspace.create({ v1: {} }, baseConfig());
  // A port nothing listens on: bound and closed again.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  writeFileSync(ws.configPath, baseConfig() + dashboardSection(address));
  const server = new DashboardServer({ catalog: new CachedCatalog([await ConfiguredApp.open(ws.configPath)], async () => []), listen: '127.0.0.1:0' });
  try {
    await server.start();
    const cookie = await signIn(server);
    const status = await until('the problem reading Prometheus', async () => (await readApp(server, cookie, 'analysis-scenario')).trafficSource, (s) => s.problem !== null, 20_000);
    assert.equal(status.kind, 'prometheus');
    assert.match(status.problem!, new RegExp(`^Prometheus at ${address.replace(/\./g, '\\.')}: `));
    assert.match(status.problem!, /refused|ECONNREFUSED/i);
  } finally {
    await server.close();
    await ws.close();
  }
});
