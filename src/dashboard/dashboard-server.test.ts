import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { CachedCatalog } from './app-catalog.ts';
import type { AppView } from './app-view.ts';
import type { DashboardAction } from './dashboard-actions.ts';
import type { DashboardApp } from './dashboard-app.ts';
import { DashboardServer } from './dashboard-server.ts';

/** An app whose view is fixed and whose actions are recorded: enough to test the HTTP edge. */
class RecordingApp implements DashboardApp {
  readonly name = 'shop';
  readonly platform = 'local';
  readonly actionable = true;
  readonly traffic = { source: { kind: 'none' as const, hint: 'no traffic source in this test' } };
  readonly acted: DashboardAction[] = [];
  async view(): Promise<AppView> {
    return { app: 'shop', platform: 'local', generatedAt: Date.now(), actions: true, status: null, state: null, history: [], logs: { blue: [], green: [] }, markers: [] };
  }
  async act(action: DashboardAction): Promise<unknown> {
    this.acted.push(action);
    return { ok: true };
  }
  async close(): Promise<void> {}
}

async function signIn(server: DashboardServer, readOnly = false): Promise<{ cookie: string; csrf: string }> {
  const res = await request(server.mintUrl({ readOnly }));
  assert.equal(res.statusCode, 303);
  await res.body.dump();
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const page = await request(`${server.address}/`, { headers: { cookie } });
  const html = await page.body.text();
  const csrf = /name="cutover-csrf" content="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf };
}

function post(server: DashboardServer, headers: Record<string, string>, body: unknown = { action: 'promote' }) {
  return request(`${server.address}/api/apps/shop/actions`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.address, ...headers }, body: JSON.stringify(body) });
}

describe('dashboard server: the HTTP edge', () => {
  const app = new RecordingApp();
  const server = new DashboardServer({ catalog: new CachedCatalog([app], async () => []), listen: '127.0.0.1:0' });
  before(() => server.start());
  after(() => server.close());

  it('answers 401 to every page, asset, API call and event stream without a session', async () => {
    for (const path of ['/', '/assets/app.js', '/assets/uPlot.iife.min.js', '/api/apps', '/api/apps/shop', '/api/apps/shop/events', '/api/session']) {
      const res = await request(`${server.address}${path}`);
      await res.body.dump();
      assert.equal(res.statusCode, 401, path);
    }
    const res = await request(`${server.address}/api/apps/shop/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"promote"}' });
    await res.body.dump();
    assert.equal(res.statusCode, 401);
    assert.equal(app.acted.length, 0);
  });

  it('exchanges a token once for an HttpOnly, SameSite=Strict cookie; the same token again is refused', async () => {
    const url = server.mintUrl({ readOnly: false });
    const first = await request(url);
    await first.body.dump();
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers.location, '/');
    assert.match(String(first.headers['set-cookie']), /HttpOnly; SameSite=Strict; Path=\//);
    const again = await request(url);
    await again.body.dump();
    assert.equal(again.statusCode, 401);
    const guessed = await request(`${server.address}/?token=not-a-token`);
    await guessed.body.dump();
    assert.equal(guessed.statusCode, 401);
  });

  it('runs an action with the right CSRF token from the same origin', async () => {
    const { cookie, csrf } = await signIn(server);
    const res = await post(server, { cookie, 'x-cutover-csrf': csrf }, { action: 'maintenance', on: true, message: 'back soon' });
    assert.equal(res.statusCode, 200, await res.body.text());
    assert.deepEqual(app.acted.at(-1), { action: 'maintenance', on: true, message: 'back soon' });
  });

  it('refuses a wrong or missing CSRF token, another origin, and a cross-site fetch, without acting', async () => {
    const { cookie, csrf } = await signIn(server);
    const before = app.acted.length;
    const cases: Array<Record<string, string>> = [
      { cookie, 'x-cutover-csrf': 'wrong' },
      { cookie },
      { cookie, 'x-cutover-csrf': csrf, origin: 'http://evil.example' },
      { cookie, 'x-cutover-csrf': csrf, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of cases) {
      const res = await post(server, headers);
      const body = await res.body.json() as { error: { message: string } };
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.ok(body.error.message.length > 0);
    }
    assert.equal(app.acted.length, before);
  });

  it('refuses every action in a read-only session and says so in the app list', async () => {
    const { cookie, csrf } = await signIn(server, true);
    const list = await request(`${server.address}/api/apps`, { headers: { cookie } });
    assert.deepEqual(await list.body.json(), { apps: [{ name: 'shop', platform: 'local', actions: false }] });
    const before = app.acted.length;
    const res = await post(server, { cookie, 'x-cutover-csrf': csrf });
    assert.equal(res.statusCode, 403);
    assert.match(((await res.body.json()) as { error: { message: string } }).error.message, /read-only/);
    assert.equal(app.acted.length, before);
  });

  it('rejects a malformed action naming the field, and an unknown Host header', async () => {
    const { cookie, csrf } = await signIn(server);
    const res = await post(server, { cookie, 'x-cutover-csrf': csrf }, { action: 'flags', color: 'purple' });
    assert.equal(res.statusCode, 400);
    assert.match(((await res.body.json()) as { error: { message: string } }).error.message, /color/);
    const rebound = await request(`${server.address}/api/apps`, { headers: { cookie, host: 'attacker.example:80' } });
    await rebound.body.dump();
    assert.equal(rebound.statusCode, 421);
  });

  it('serves the page with a CSP that allows no inline script', async () => {
    const { cookie } = await signIn(server);
    const page = await request(`${server.address}/`, { headers: { cookie } });
    await page.body.dump();
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
  });
});

describe('dashboard server: history from a source that keeps it', () => {
  it('asks again when the history could not be read, and puts it before the live points', async () => {
    const point = (at: number, rps: number) => ({ blue: { at, rps, errorRate: null, p50Ms: null, p99Ms: null }, green: { at, rps: 0, errorRate: null, p50Ms: null, p99Ms: null } });
    let historyCalls = 0;
    const started = Date.now();
    const feed = {
      source: { kind: 'prometheus' as const, address: 'http://127.0.0.1:9' },
      intervalMs: 50,
      async sample(at: number) { return { points: point(at, 1), problem: null }; },
      // The first read fails (a Prometheus that was briefly slow); the second has ten points from before the start.
      async history() {
        historyCalls++;
        if (historyCalls === 1) return null;
        return Array.from({ length: 10 }, (_, i) => point(started - 10_000 + i * 1_000, 40));
      },
    };
    const app = new RecordingApp();
    Object.assign(app, { traffic: feed });
    const server = new DashboardServer({ catalog: new CachedCatalog([app], async () => []), listen: '127.0.0.1:0' });
    await server.start();
    try {
      const { cookie } = await signIn(server, true);
      const deadline = Date.now() + 5_000;
      let blue: Array<{ at: number; rps: number }> = [];
      while (Date.now() < deadline) {
        const res = await request(`${server.address}/api/apps/shop`, { headers: { cookie } });
        blue = ((await res.body.json()) as { traffic: { blue: Array<{ at: number; rps: number }> } }).traffic.blue;
        if (blue.some((p) => p.rps === 40)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(historyCalls >= 2, `history asked ${historyCalls} time(s)`);
      assert.equal(blue.filter((p) => p.rps === 40).length, 10, 'the history arrived after the failed read');
      const times = blue.map((p) => p.at);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'history before the live points');
    } finally {
      await server.close();
    }
  });
});
