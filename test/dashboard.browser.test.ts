import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { chromiumAvailable, launchChromium } from './support/browser.ts';
import { explain } from './support/cli-runner.ts';
import { get, ScenarioWorkspace } from './support/workspace.ts';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };

/**
 * Every status the page's timeline showed for each phase, sampled every 100 ms until `until()`.
 * The deploy's process can exit before the page has received the stream's last view (the end
 * of monitor, the end of the operation), so sampling goes on after that until the page shows
 * every phase in `settled` as succeeded, for at most `settleMs`: the page must still show it.
 */
async function watchTimeline(page: Page, until: () => boolean, settled: string[] = [], settleMs = 5_000): Promise<Map<string, Set<string>>> {
  const seen = new Map<string, Set<string>>();
  const sample = async () => {
    const items = await page.$$eval('#timeline > li', (lis) => lis.map((li) => [li.getAttribute('data-phase') ?? '', li.getAttribute('data-status') ?? '']));
    for (const [phase, status] of items) {
      if (!seen.has(phase!)) seen.set(phase!, new Set());
      seen.get(phase!)!.add(status!);
    }
  };
  while (!until()) {
    await sample();
    await new Promise((r) => setTimeout(r, 100));
  }
  const deadline = Date.now() + settleMs;
  for (;;) {
    await sample();
    if (settled.every((phase) => seen.get(phase)?.has('succeeded')) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

/** What the analysis panel showed live (a running analysis's rows) while `until` is false: each distinct row count, and the last text. */
async function watchLiveAnalysis(page: Page, until: () => boolean): Promise<{ counts: Set<number>; text: string }> {
  const counts = new Set<number>();
  let text = '';
  while (!until()) {
    // One round trip per look, and fewer looks than the timeline's: this must not slow that watch down.
    const live = await page.evaluate(() => document.querySelector('#timeline > li[data-phase="monitor"][data-status="running"]')
      ? [...document.querySelectorAll('#analysis .analysis-run[data-live="true"] table.measurements tbody tr')].map((r) => r.textContent ?? '')
      : []);
    if (live.length > 0) {
      counts.add(live.length);
      text = live.join('\n');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { counts, text };
}

async function chartPoints(page: Page, id = 'rps'): Promise<{ points: number; latest: number[]; markers: number }> {
  return page.$eval(`#chart-${id}`, (el) => ({
    points: Number((el as HTMLElement).dataset.points ?? 0),
    latest: ((el as HTMLElement).dataset.latest ?? '').split(',').map((v) => (v === '' ? 0 : Number(v))),
    markers: Number((el as HTMLElement).dataset.markers ?? 0),
  }));
}

/** Clicks an action button, checks the confirmation dialog appears, confirms, and waits for the result line. */
async function act(page: Page, action: string, fill?: Record<string, string>): Promise<string> {
  await page.click(`#actions button[data-action="${action}"], .color-card button[data-action="${action}"]`);
  await page.waitForSelector('#confirm[open]');
  for (const [selector, value] of Object.entries(fill ?? {})) await page.fill(selector, value);
  // The previous action's result must not pass for this one's.
  await page.evaluate(() => { document.getElementById('result')!.hidden = true; });
  await page.click('#confirm-ok');
  await page.waitForFunction(() => {
    const el = document.getElementById('result');
    return el && !el.hidden && !/working/.test(el.textContent ?? '');
  }, undefined, { timeout: 60_000 });
  return (await page.textContent('#result')) ?? '';
}

describe('dashboard in Chromium against a real local deploy', { skip: chromiumAvailable() ? false : 'needs Debian chromium (/usr/bin/chromium)' }, () => {
  let ws: ScenarioWorkspace;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let main: string;
  let runtimeDir: string;
  let dashboardUrl: string;
  const manualConfig = () => join(ws.dir, 'manual-gate.yaml');
  const analysisConfig = () => join(ws.dir, 'analysis.yaml');

  before(async () => {
    runtimeDir = mkdtempSync(join(tmpdir(), 'cutover-runtime-'));
    process.env.CUTOVER_RUNTIME_DIR = runtimeDir;
    mkdirSync(SCREENSHOTS, { recursive: true });
    ws = ScenarioWorkspace.create({ monitorDuration: '4s' });
    writeFileSync(manualConfig(), `${readFileSync(ws.configPath, 'utf8')}gate: manual\n`);
    // The bake window is judged by the router's own error rate, so the page has verdicts to show.
    writeFileSync(analysisConfig(), `${readFileSync(ws.configPath, 'utf8')}analysis:
  post:
    - name: error-rate
      provider: { kind: builtin, metric: error-rate }
      interval: 1s
      condition: result < 0.05
`);
    main = (await ws.up()).main;
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
    const dash = await ws.cli(['dashboard']);
    assert.equal(dash.code, 0, explain(dash));
    dashboardUrl = dash.json.url;
    assert.match(dashboardUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    await page.goto(dashboardUrl);
    await page.waitForSelector('.color-card[data-color="blue"][data-role="live"]');
  });

  after(async () => {
    await browser?.close();
    await ws?.dispose();
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it('shows a deploy under load as it happens: phases advance, charts move, the switch is marked', async () => {
    assert.equal(await page.textContent('.color-card[data-color="blue"] .version'), 'v1');
    assert.equal(await page.isVisible('#mode'), false, 'a full session shows no read-only badge');
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    const load = new LoadGenerator({ url: main, model: 'open', ratePerSec: 40, durationMs: 40_000 }).start();
    try {
      const before = await chartPoints(page);
      let finished = false;
      const deploy = ws.start(['deploy', 'v2'], { config: analysisConfig() });
      void deploy.done.then(() => { finished = true; });
      let shot = false;
      const seen = watchTimeline(page, () => finished, ['provision', 'verify', 'gate', 'switch', 'monitor']);
      const liveAnalysis = watchLiveAnalysis(page, () => finished);
      // The monitor phase lasts 4s: photograph the page mid-release.
      while (!finished && !shot) {
        if (await page.$('#timeline > li[data-phase="monitor"][data-status="running"]')) {
          await new Promise((r) => setTimeout(r, 1_500));
          await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-deploy.png'), fullPage: true });
          shot = true;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = await deploy.done;
      assert.equal(result.code, 0, explain(result));
      assert.equal(result.json.outcome, 'promoted');
      const phases = await seen;
      for (const phase of ['provision', 'verify', 'gate', 'switch', 'monitor']) {
        assert.ok(phases.get(phase)?.has('succeeded'), `the page showed ${phase} succeeded (saw ${JSON.stringify([...phases].map(([p, s]) => [p, [...s]]))})`);
      }
      assert.ok(phases.get('monitor')?.has('running'), 'the page showed monitor while it ran');
      const { counts, text } = await liveAnalysis;
      assert.ok(counts.size > 0, 'the page showed analysis measurements while the monitor phase ran');
      assert.match(text, /error-rate\s*\d+\s*successful/, `a live row names the metric, its reading number and verdict: ${text}`);
      assert.ok(shot, 'a screenshot was taken during the monitor phase');
      await page.waitForSelector('.color-card[data-color="green"][data-role="live"]');
      assert.equal(await page.textContent('.color-card[data-color="green"] .version'), 'v2');
      await page.waitForSelector('#markers li[data-kind="switch"]');
      assert.match((await page.textContent('#markers'))!, /switch v2 → green/);
      await page.waitForFunction(() => Number(document.getElementById('chart-rps')?.dataset.markers ?? 0) >= 1);
      const afterDeploy = await chartPoints(page);
      assert.ok(afterDeploy.points > before.points + 3, `the charts gained points (${before.points} -> ${afterDeploy.points})`);
      // [blue req/s, green req/s]: after the switch green carries the load.
      await page.waitForFunction(() => Number((document.getElementById('chart-rps')?.dataset.latest ?? '').split(',')[1]) > 10, undefined, { timeout: 10_000 });
      await page.waitForSelector('#analysis table td:has-text("error-rate")');
      assert.match((await page.textContent('#analysis'))!, /post-promotion of v2: successful/);
      assert.match((await page.textContent('#analysis tbody'))!, /error-rate\s*successful/);
      const history = await page.$$('#history details');
      assert.ok(history.length >= 2, 'history lists the v1 and v2 deploys');
      await history[0]!.click();
      await page.waitForSelector('#history details[open] [data-phase="switch"]');
    } finally {
      const report = await load.stop();
      assert.equal(report.total.socketErrors + report.total.non2xx, 0, `load saw no failed request during the deploy: ${JSON.stringify(report.total)}`);
    }
  });

  it('promotes a `gate: manual` deploy with a click, and the CLI deploy then finishes as promoted', async () => {
    const deploy = ws.start(['deploy', 'v3'], { config: manualConfig() });
    await page.waitForSelector('#gate-box', { timeout: 30_000 });
    assert.match((await page.textContent('#gate-box'))!, /v3/);
    await page.evaluate(() => document.getElementById('op-title')!.scrollIntoView());
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-gate.png') });
    // The promote button is reachable and usable from the keyboard.
    await page.focus('#actions button[data-action="promote"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    assert.match((await page.textContent('#confirm-text'))!, /Promote the deploy of v3/);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.getElementById('confirm') as HTMLDialogElement).open);
    assert.ok(await page.$('#gate-box'), 'cancelling the dialog promoted nothing');
    const text = await act(page, 'promote');
    assert.match(text, /promote/);
    const result = await deploy.done;
    assert.equal(result.code, 0, explain(result));
    assert.equal(result.json.outcome, 'promoted');
    assert.equal(result.json.phases.find((p: { name: string }) => p.name === 'gate').detail, 'released by cutover promote');
    assert.equal((await get(main)).version, 'v3');
  });

  it('rolls back, turns maintenance on and off, and sets flags from the page, as the router and the state show', async () => {
    await page.waitForSelector('#no-operation');
    const rolled = await act(page, 'rollback');
    assert.match(rolled, /rolled_back/, rolled);
    assert.deepEqual(new Set(await Promise.all([1, 2, 3, 4, 5].map(() => get(main).then((a) => `${a.status} ${a.version}`)))), new Set(['200 v2']));
    await page.waitForSelector('#markers li[data-kind="rollback"]');

    const on = await act(page, 'maintenance-on', { '#maintenance-message': 'Upgrading <b>storage</b>' });
    assert.match(on, /maintenance on/);
    const during = await request(main);
    const body = await during.body.text();
    assert.equal(during.statusCode, 503);
    assert.ok(during.headers['retry-after'], 'maintenance answers carry Retry-After');
    assert.match(body, /Upgrading/);
    await page.waitForSelector('.badge.maintenance');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-maintenance.png') });
    const off = await act(page, 'maintenance-off');
    assert.match(off, /maintenance off/);
    assert.equal((await get(main)).status, 200);

    const idle = (await get(main)).color === 'green' ? 'blue' : 'green';
    const flags = await act(page, `flags-${idle}`, { '#flags-set': 'new_checkout=true limit=5' });
    assert.match(flags, new RegExp(`flags on ${idle}: \\{"new_checkout":true,"limit":5\\}`));
    assert.deepEqual(ws.readState().flags[idle], { new_checkout: true, limit: 5 });
    await page.waitForSelector(`.color-card[data-color="${idle}"] .flags li:has-text("limit = 5")`);
  });

  it('keeps the flags buttons across view updates, so a click whose press and release straddle one opens its dialog', async () => {
    // Every render redraws the title: count renders by its mutations.
    await page.evaluate(() => {
      const w = window as unknown as { __renders: number };
      w.__renders = 0;
      new MutationObserver(() => { w.__renders++; }).observe(document.getElementById('app-title')!, { childList: true });
    });
    const renders = () => page.evaluate(() => (window as unknown as { __renders: number }).__renders);
    // A log line changes the view the page is sent, as an app printing would.
    const logFile = join(ws.dir, '.cutover', 'logs', readdirSync(join(ws.dir, '.cutover', 'logs')).find((n) => n.endsWith('.out.log'))!);
    const updates = async (count: number) => {
      const until = (await renders()) + count;
      for (let i = 0; (await renders()) < until; i++) {
        assert.ok(i < 150, `the page saw ${count} view updates within 30s`);
        appendFileSync(logFile, `straddle ${Date.now()}\n`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const selectors = ['.color-card button[data-action="flags-blue"]', '.color-card button[data-action="flags-green"]', '#actions button[data-action="rollback"]'];
    const drawn = await Promise.all(selectors.map((s) => page.waitForSelector(s)));
    await updates(3);
    for (const [i, selector] of selectors.entries()) {
      const same = await drawn[i]!.evaluate((el, s) => el.isConnected && el === document.querySelector(s), selector);
      assert.equal(same, true, `${selector} is still the element drawn before the updates`);
    }

    const box = (await (await page.waitForSelector(selectors[1]!)).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await updates(1);
    await page.mouse.up();
    await page.waitForSelector('#confirm[open]', { timeout: 5_000 });
    assert.match((await page.textContent('#confirm-text'))!, /flags of green|green is LIVE/);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.getElementById('confirm') as HTMLDialogElement).open);
  });

  it('shows a refusal from the core as the CLI would: nothing to promote', async () => {
    const text = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="cutover-csrf"]')!.content;
      const res = await fetch('/api/apps/scenario-shop/actions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-cutover-csrf': csrf }, body: '{"action":"promote"}' });
      return `${res.status} ${await res.text()}`;
    });
    // The CLI exits 2 (usage) for `promote` with nothing waiting; the dashboard carries the same code.
    assert.match(text, /^400 .*no deploy is waiting to be promoted.*"exitCode":2/);
  });

  it('answers 401 without the token and refuses a wrong CSRF token from the page itself', async () => {
    const stranger = await browser.newContext();
    const response = await (await stranger.newPage()).goto(new URL(dashboardUrl).origin);
    assert.equal(response!.status(), 401);
    const reused = await (await stranger.newPage()).goto(dashboardUrl);
    assert.equal(reused!.status(), 401, 'a used token opens nothing');
    await stranger.close();
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/apps/scenario-shop/actions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-cutover-csrf': 'forged' }, body: '{"action":"maintenance","on":true}' });
      return res.status;
    });
    assert.equal(status, 403);
    assert.equal((await get(main)).status, 200, 'the forged call changed nothing');
  });

  it('serves --read-only without any action, also on a phone-sized screen', async () => {
    const dash = await ws.cli(['dashboard', '--read-only']);
    assert.equal(dash.code, 0, explain(dash));
    const viewer = await browser.newContext({ viewport: PHONE, colorScheme: 'dark' });
    try {
      const phone = await viewer.newPage();
      await phone.goto(dash.json.url);
      await phone.waitForSelector('.color-card[data-role="live"]');
      assert.equal(await phone.isVisible('#mode'), true, 'the read-only badge shows');
      assert.equal((await phone.$$('button[data-action]')).length, 0, 'no action buttons');
      const background = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, 'rgb(17, 19, 23)', 'the page follows a dark system preference');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow}px too wide)`);
      await phone.screenshot({ path: join(SCREENSHOTS, 'dashboard-phone-read-only.png'), fullPage: false });
    } finally {
      await viewer.close();
    }
  });

  it('shows a deploy whose process died mid-phase as interrupted (holder gone), as `status` does, not as running', async () => {
    const longBake = join(ws.dir, 'long-bake.yaml');
    writeFileSync(longBake, readFileSync(analysisConfig(), 'utf8').replace(/^(monitor:\n  duration: )\S+/m, '$1120s'));
    const state = ws.readState();
    const version = ['v2', 'v3'].find((v) => v !== state.colors[state.live].version)!;
    const deploy = ws.start(['deploy', version], { config: longBake });
    await page.waitForSelector('#timeline > li[data-phase="monitor"][data-status="running"]', { timeout: 60_000 });
    await page.waitForSelector('#analysis .analysis-run[data-live="true"]', { timeout: 15_000 });
    deploy.child.kill('SIGKILL');
    await deploy.done;
    const status = await ws.cli(['status']);
    assert.equal(status.json.operation.holderGone, true, explain(status));

    await page.waitForSelector('#operation[data-interrupted="true"]', { timeout: 15_000 });
    assert.match((await page.textContent('#operation'))!, new RegExp(`deploy of ${version} was interrupted at monitor: its process, deploy ${version} \\(pid ${deploy.pid} on .+\\), is gone\\. Run \`cutover resume\` to finish it, or \`cutover abort\` to undo it`));
    assert.equal(await page.textContent('#timeline > li[data-phase="monitor"] .badge'), 'interrupted');
    const analysis = (await page.textContent('#analysis'))!;
    assert.doesNotMatch(analysis, /running \(live\)/, 'a dead deploy\'s analysis is not running');
    assert.match(analysis, /interrupted/);

    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
    await page.waitForSelector('#no-operation', { timeout: 15_000 });
    assert.equal(await page.$('#operation[data-interrupted="true"]'), null);
  });

  it('renders untrusted text as text: a <script> version and an app\'s log line', async () => {
    const hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    const state = ws.readState();
    state.colors.blue.version = hostile;
    writeFileSync(join(ws.dir, '.cutover', 'state.json'), JSON.stringify(state));
    // A log line is whatever the app printed: append one as a replica would.
    const logFile = join(ws.dir, '.cutover', 'logs', readdirSync(join(ws.dir, '.cutover', 'logs')).find((n) => n.endsWith('.out.log'))!);
    appendFileSync(logFile, `${hostile}\n`);
    await page.waitForFunction((v) => document.querySelector('.color-card[data-color="blue"] .version')?.textContent === v, hostile, { timeout: 15_000 });
    await page.waitForFunction((v) => [...document.querySelectorAll('#logs pre')].some((pre) => pre.textContent?.includes(v)), hostile, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.$('.color-card script, .color-card img, #logs script, #logs img'), null);
  });
});
