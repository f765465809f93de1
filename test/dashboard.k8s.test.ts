import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { APP, explain, K8sWorkspace, SERVICE, type RunningCli } from './support/k8s-workspace.ts';
import { chromiumAvailable, launchChromium } from './support/browser.ts';

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

describe('dashboard on Kubernetes: served in the foreground from the ConfigMap state and the cluster', { skip: chromiumAvailable() ? false : 'needs Debian chromium (/usr/bin/chromium)' }, () => {
  let ws: K8sWorkspace;
  let browser: Browser;
  let page: Page;
  let dashboard: RunningCli;

  before(async () => {
    ws = await K8sWorkspace.create('dash', { replicas: 2 });
    for (const version of ['v1', 'v2']) {
      const r = await ws.cli(['deploy', version]);
      assert.equal(r.code, 0, explain(r));
    }
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
    await browser?.close();
    dashboard?.child.kill('SIGTERM');
    if (dashboard) {
      const r = await dashboard.done;
      assert.equal(r.code, 0, `Ctrl-C ends the foreground dashboard cleanly: ${explain(r)}`);
    }
    await ws?.dispose();
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
    await page.click(`#apps a:has-text("${APP}")`);
    await page.waitForSelector('#actions button[data-action="rollback"]');
  });

  it('rolls back from the page: the Service selects blue again', async () => {
    await page.click('#actions button[data-action="rollback"]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => /rolled_back/.test(document.getElementById('result')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.equal(svc.spec.selector.color, 'blue');
    await page.waitForSelector('.color-card[data-color="blue"][data-role="live"]');
    assert.equal(await page.textContent('.color-card[data-color="blue"] .version'), 'v1');
  });
});
