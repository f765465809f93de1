import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { adminRaw } from './support/admin-raw.ts';
import { explain } from './support/cli-runner.ts';
import { get, ScenarioWorkspace } from './support/workspace.ts';

/** A signed-in client of one dashboard, as the page would be. */
class DashboardClient {
  readonly origin: string;
  private cookie = '';
  private csrf = '';

  constructor(url: string) {
    this.origin = new URL(url).origin;
  }

  async signIn(url: string): Promise<void> {
    const res = await request(url);
    await res.body.dump();
    assert.equal(res.statusCode, 303);
    this.cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const page = await request(`${this.origin}/`, { headers: { cookie: this.cookie } });
    this.csrf = /name="cutover-csrf" content="([^"]+)"/.exec(await page.body.text())![1]!;
  }

  async get(path: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await request(`${this.origin}${path}`, { headers: { cookie: this.cookie } });
    return { status: res.statusCode, body: await res.body.json() };
  }

  async act(app: string, body: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await request(`${this.origin}/api/apps/${app}/actions`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'x-cutover-csrf': this.csrf, origin: this.origin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() };
  }
}

describe('dashboard served by the daemon: every app of the host, actions through the core', () => {
  let shop: ScenarioWorkspace;
  let billing: ScenarioWorkspace;
  let runtimeDir: string;
  let billingMain: string;
  let shopMain: string;
  let client: DashboardClient;

  before(async () => {
    runtimeDir = mkdtempSync(join(tmpdir(), 'cutover-runtime-'));
    process.env.CUTOVER_RUNTIME_DIR = runtimeDir;
    shop = ScenarioWorkspace.create();
    billing = ScenarioWorkspace.create();
    writeFileSync(billing.configPath, readFileSync(billing.configPath, 'utf8').replace('app: scenario-shop', 'app: scenario-billing'));
    writeFileSync(join(shop.dir, 'manual.yaml'), `${readFileSync(shop.configPath, 'utf8')}gate: manual\n`);
    shopMain = (await shop.up()).main;
    billingMain = (await billing.up()).main;
    for (const ws of [shop, billing]) {
      const r = await ws.cli(['deploy', 'v1']);
      assert.equal(r.code, 0, explain(r));
    }
    const started = Date.now();
    const dash = await shop.cli(['dashboard']);
    assert.equal(dash.code, 0, explain(dash));
    assert.ok(Date.now() - started < 15_000, 'cutover dashboard returns at once: the daemon serves it');
    client = new DashboardClient(dash.json.url);
    await client.signIn(dash.json.url);
  });

  after(async () => {
    await shop?.dispose();
    await billing?.dispose();
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it('lists both apps of the host, each with its own view', async () => {
    const { body } = await client.get('/api/apps');
    assert.deepEqual(body.apps.map((a: { name: string }) => a.name), ['scenario-shop', 'scenario-billing']);
    const view = (await client.get('/api/apps/scenario-billing')).body.view;
    assert.equal(view.app, 'scenario-billing');
    assert.deepEqual(view.status.live, { color: 'blue', version: 'v1' });
    assert.ok(view.history.some((e: { event: string; outcome?: string }) => e.event === 'finished' && e.outcome === 'promoted'));
  });

  it('runs an action on the other app through its own daemon', async () => {
    const on = await client.act('scenario-billing', { action: 'maintenance', on: true, message: 'billing upgrade' });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal((await get(billingMain)).status, 503);
    const off = await client.act('scenario-billing', { action: 'maintenance', on: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal((await get(billingMain)).status, 200);
  });

  it('meets the same lock as the CLI: maintenance while a deploy waits at a manual gate is refused with exit code 3', async () => {
    const deploy = shop.start(['deploy', 'v2'], { config: join(shop.dir, 'manual.yaml') });
    try {
      await shop.waitForPhase('gate');
      const refused = await client.act('scenario-shop', { action: 'maintenance', on: true });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'locked');
      assert.equal(refused.body.error.exitCode, 3);
      assert.match(refused.body.error.message, /deploy v2/);
      const cli = await shop.cli(['maintenance', 'on']);
      assert.equal(cli.code, 3, 'the CLI is refused the same way');
      const promoted = await client.act('scenario-shop', { action: 'promote' });
      assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
      const result = await deploy.done;
      assert.equal(result.code, 0, explain(result));
      assert.equal(result.json.outcome, 'promoted');
    } finally {
      deploy.child.kill('SIGKILL');
    }
  });

  it('aborts a deploy waiting at the gate, and finalizes a bake window early, as the CLI verbs would', async () => {
    const before = (await get(shopMain)).version;
    const waiting = shop.start(['deploy', 'v3'], { config: join(shop.dir, 'manual.yaml') });
    try {
      await shop.waitForPhase('gate');
      const aborted = await client.act('scenario-shop', { action: 'abort' });
      assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
      assert.equal(aborted.body.result.outcome, 'aborted');
      const result = await waiting.done;
      assert.equal(result.code, 1, explain(result));
      assert.equal((await get(shopMain)).version, before, 'the previously live color still serves');
    } finally {
      waiting.child.kill('SIGKILL');
    }
    const baking = shop.start(['deploy', 'v3'], { config: shop.writeConfig('long-bake.yaml', { monitorDuration: '60s' }) });
    try {
      await shop.waitForPhase('monitor');
      const finalized = await client.act('scenario-shop', { action: 'finalize' });
      assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
      const result = await baking.done;
      assert.equal(result.code, 0, explain(result));
      assert.match(result.json.phases.find((p: { name: string }) => p.name === 'monitor').detail, /ended early by cutover finalize/);
      assert.equal((await get(shopMain)).version, 'v3');
    } finally {
      baking.child.kill('SIGKILL');
    }
  });

  it('--open hands the URL to the desktop\'s opener', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'cutover-opener-'));
    const opened = join(bin, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${opened}\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const r = await shop.cli(['dashboard', '--open']);
      assert.equal(r.code, 0, explain(r));
      const deadline = Date.now() + 5_000;
      while (!existsSync(opened) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      assert.equal(readFileSync(opened, 'utf8').trim(), r.json.url);
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('POST /dashboard is a typed admin route: a malformed body gets a 400 naming the field', async () => {
    const socket = join(shop.dir, '.cutover', 'daemon.sock');
    for (const [body, message] of [
      ['{"readOnly":"yes"}', /^dashboard: readOnly:/],
      ['{"readOnly":false,"port":1}', /^dashboard: \(body\): Unrecognized key.*port/],
    ] as const) {
      const answer = await adminRaw(socket, 'POST', '/dashboard', body);
      assert.equal(answer.status, 400, answer.body);
      assert.match(JSON.parse(answer.body).error.message, message);
    }
  });

  it('drops an app from the list once its daemon is down', async () => {
    const down = await billing.cli(['down']);
    assert.equal(down.code, 0, explain(down));
    const { body } = await client.get('/api/apps');
    assert.deepEqual(body.apps.map((a: { name: string }) => a.name), ['scenario-shop']);
  });
});
