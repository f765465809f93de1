import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { APP, explain, K8sWorkspace, SERVICE, type RunningCli } from './support/k8s-workspace.ts';
import { chromiumAvailable, launchChromium } from './support/browser.ts';
import { ServiceLoad } from './support/k8s-service-load.ts';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from './support/prometheus.ts';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));

/** Waits for the first JSON document `cutover dashboard --json` prints, while it keeps serving. */
function urlFrom(run: RunningCli): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`cutover dashboard printed no URL: ${out}`)), 60_000);
    run.child.stdout!.on('data', (d: Buffer | string) => {
      out += d.toString();
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void run.done.then((r) => reject(new Error(`cutover dashboard exited early: ${explain(r)}`)));
  });
}

/** What the page's chart of `id` shows: how many points, the latest value per series, how many switch/rollback marks fall in its range. */
async function chart(page: Page, id: string): Promise<{ points: number; latest: number[]; markers: number }> {
  return page.$eval(`#chart-${id}`, (el) => {
    const d = (el as HTMLElement).dataset;
    return { points: Number(d.points), latest: (d.latest ?? '').split(',').map((v) => (v === '' ? NaN : Number(v))), markers: Number(d.markers ?? 0) };
  });
}

/** Waits until the chart of `id` passes `ok`, sampling it every 200 ms. */
async function chartUntil(page: Page, id: string, what: string, ok: (c: Awaited<ReturnType<typeof chart>>) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  // The page draws its charts after its first fetch of the app, which can come well after the
  // load event on a busy machine (seen in CI: the chart was not there yet 84 ms after goto).
  await page.waitForSelector(`#chart-${id}`, { timeout: timeoutMs });
  let last = await chart(page, id);
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`the ${id} chart never showed ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await chart(page, id);
  }
  return last;
}

interface TrafficPoint { at: number; rps: number; errorRate: number | null; p50Ms: number | null; p99Ms: number | null }

const needs = !chromiumAvailable() ? 'needs Debian chromium (/usr/bin/chromium)' : !prometheusAvailable() ? 'needs the Debian prometheus package (scripts/prometheus-testenv.sh)' : false;

describe('dashboard on Kubernetes: served in the foreground from the ConfigMap state and the cluster', { skip: needs }, () => {
  let ws: K8sWorkspace;
  let browser: Browser;
  let page: Page;
  let dashboard: RunningCli;
  let prometheus: RunningPrometheus;
  let load: ServiceLoad;

  before(async () => {
    ws = await K8sWorkspace.create('dash', { replicas: 2 });
    // A real Prometheus scrapes what the pods' servers count; the charts come from it, with the
    // default queries (http_requests_total and http_request_duration_seconds by app and color).
    prometheus = await startPrometheus({ scrapeTargets: [await ws.backends.serveMetrics()] });
    ws.writeConfig('cutover.yaml', { replicas: 2, extra: `dashboard:\n  traffic:\n    prometheus:\n      address: ${prometheus.url}\n      window: 2s\n      interval: 500ms\n` });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    load = new ServiceLoad({ cluster: ws.cluster, backends: ws.backends, namespace: ws.namespace, service: SERVICE, ratePerSec: 20, maxDurationMs: 280_000 }).start();
    // Another app of the namespace, known only by its state ConfigMap.
    const state = await ws.readState();
    await ws.cluster.core.createNamespacedConfigMap({
      namespace: ws.namespace,
      body: { metadata: { name: 'billing-cutover', labels: { 'app.kubernetes.io/managed-by': 'cutover' } }, data: { 'state.json': JSON.stringify({ ...state, app: 'billing' }), 'history.jsonl': '' } },
    });
    dashboard = ws.start(['dashboard'], { timeoutMs: 300_000 });
    const url = await urlFrom(dashboard);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.goto(url);
  });

  after(async () => {
    await load?.stop();
    await prometheus?.stop();
    await browser?.close();
    dashboard?.child.kill('SIGTERM');
    if (dashboard) {
      const r = await dashboard.done;
      assert.equal(r.code, 0, `Ctrl-C ends the foreground dashboard cleanly: ${explain(r)}`);
    }
    await ws?.dispose();
  });

  it('charts each color\'s traffic from Prometheus while a deploy runs, and marks the switch', async () => {
    await chartUntil(page, 'rps', 'blue\'s live traffic', (c) => c.points >= 3 && c.latest[0]! > 5);
    assert.equal(await page.getAttribute('#traffic-note', 'data-source'), 'prometheus');
    assert.equal(await page.textContent('#traffic-note'), `From Prometheus at ${prometheus.url}.`);
    const latency = await chart(page, 'latency');
    assert.ok(latency.latest[0]! > 0 && latency.latest[0]! <= latency.latest[1]!, `blue p50 ${latency.latest[0]} ms <= p99 ${latency.latest[1]} ms`);
    assert.equal((await chart(page, 'errors')).latest[0], 0, 'blue answers no 5xx');

    const marked = (await chart(page, 'rps')).markers;
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    // The Service now selects green: its pods take the load, and the chart marks the moment.
    await chartUntil(page, 'rps', 'green taking the traffic after a new switch mark', (c) => c.markers > marked && c.latest[1]! > 5);
    const api = await page.evaluate(async (app) => (await fetch(`/api/apps/${app}`)).json(), APP) as { view: { markers: Array<{ at: number; kind: string; to: string }> }; traffic: Record<'blue' | 'green', TrafficPoint[]>; trafficSource: { kind: string; problem: string | null } };
    assert.deepEqual([api.trafficSource.kind, api.trafficSource.problem], ['prometheus', null]);
    const switchAt = api.view.markers.find((m) => m.kind === 'switch' && m.to === 'green')!.at;
    assert.ok(api.traffic.blue.some((p) => p.at < switchAt && p.rps > 5), 'blue served before the switch');
    assert.ok(api.traffic.green.some((p) => p.at > switchAt && p.rps > 5), 'green serves after it');
  });

  it('shows both colors, the last operation and its switch as the cluster has them', async () => {
    await page.waitForSelector('.color-card[data-color="green"][data-role="live"]');
    assert.equal(await page.textContent('.color-card[data-color="green"] .version'), 'v2');
    assert.equal(await page.textContent('.color-card[data-color="green"] .ready'), '2/2');
    assert.match((await page.textContent('#app-title'))!, /kubernetes/);
    await page.waitForSelector('#timeline [data-phase="switch"][data-status="succeeded"]');
    assert.match((await page.textContent('#timeline [data-phase="switch"]'))!, /EndpointSlices/);
    await page.waitForSelector('#markers li[data-kind="switch"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-kubernetes.png'), fullPage: true });
  });

  it('lists the namespace\'s other cutover apps, watch-only', async () => {
    await page.waitForSelector('#apps a:has-text("billing")');
    await page.click('#apps a:has-text("billing")');
    await page.waitForFunction(() => document.getElementById('app-title')?.textContent?.startsWith('billing'));
    assert.equal((await page.$$('button[data-action]')).length, 0, 'no actions for an app seen without its config');
    // Its charts have no source: the chart area says so and what to configure, instead of empty axes.
    await page.waitForSelector('#traffic-note[data-state="missing"]');
    assert.match((await page.textContent('#traffic-note'))!, /^No traffic source: billing is watched through its state ConfigMap only\..*dashboard\.traffic\.prometheus/);
    assert.equal(await page.isVisible('#charts'), false);
    await page.click(`#apps a:has-text("${APP}")`);
    await page.waitForSelector('#actions button[data-action="rollback"]');
  });

  it('rolls back from the page: the Service selects blue again', async () => {
    const marked = (await chart(page, 'rps')).markers;
    await page.click('#actions button[data-action="rollback"]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => /rolled_back/.test(document.getElementById('result')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.equal(svc.spec.selector.color, 'blue');
    await page.waitForSelector('.color-card[data-color="blue"][data-role="live"]');
    assert.equal(await page.textContent('.color-card[data-color="blue"] .version'), 'v1');
    // Blue's pods take the load again, and the rollback is marked beside the switch.
    await chartUntil(page, 'rps', 'blue taking the traffic back after a rollback mark', (c) => c.markers > marked && c.latest[0]! > 5);
    const api = await page.evaluate(async (app) => (await fetch(`/api/apps/${app}`)).json(), APP) as { view: { markers: Array<{ kind: string; to: string }> } };
    assert.ok(api.view.markers.some((m) => m.kind === 'rollback' && m.to === 'blue'), 'the rollback is among the marked moments');
  });

  it('without dashboard.traffic the configured app\'s chart source is none, and says what to set', async () => {
    const plain = ws.writeConfig('no-traffic-source.yaml', { replicas: 2 });
    const other = ws.start(['dashboard'], { config: plain, timeoutMs: 120_000 });
    try {
      const signIn = await fetch(await urlFrom(other), { redirect: 'manual' });
      assert.equal(signIn.status, 303);
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
      const res = await fetch(new URL(`/api/apps/${APP}`, signIn.url), { headers: { cookie } });
      const body = await res.json() as { trafficSource: { kind: string; hint?: string }; traffic: Record<string, unknown[]> };
      assert.equal(body.trafficSource.kind, 'none');
      assert.match(body.trafficSource.hint!, /^No traffic source: the kubernetes platform has no cutover router to count requests\. Set dashboard\.traffic\.prometheus\.address in .*no-traffic-source\.yaml/);
      assert.deepEqual(body.traffic, { blue: [], green: [] });
    } finally {
      other.child.kill('SIGTERM');
      await other.done;
    }
  });
});
