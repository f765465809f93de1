// A rollback drains the failed color before stopping it. Requests still in flight on the failed
// color when traffic moves back finish there, or get the router's documented 504 after
// `router.drainTimeout`; none is cut by its processes being stopped. The release here exits at
// once on SIGTERM, as a Node app with no handler does, so nothing but the drain protects them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { haproxySkip } from './support/haproxy.ts';
import { KeepAliveConnection } from './support/keep-alive-connection.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

interface Answer { status: number; version: string | null; error: string | null; ms: number }

async function send(url: string): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    return { status: res.status, version: res.headers.get('x-cutover-version'), error: null, ms: Date.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { status: 0, version: null, error: cause?.code ?? (err as Error).name, ms: Date.now() - started };
  }
}

/**
 * `path` as the second request on one keep-alive connection (the first is a quick one): a cut
 * request on a reused connection is where HAProxy by itself closes the connection with no
 * answer, so the never-answered requests are sent both ways.
 */
async function sendOnReusedConnection(base: string, path: string): Promise<Answer> {
  let conn: KeepAliveConnection | null = null;
  let started = Date.now();
  try {
    conn = await KeepAliveConnection.open(base);
    await conn.get('/api/items');
    started = Date.now();
    const res = await conn.get(path, 15_000);
    return { status: res.status, version: res.headers['x-cutover-version'] ?? null, error: null, ms: Date.now() - started };
  } catch (err) {
    return { status: 0, version: null, error: (err as Error).message, ms: Date.now() - started };
  } finally {
    conn?.close();
  }
}

for (const engine of ['node', 'haproxy'] as const) describe(`a rollback and the requests still in flight on the failed color (router.engine ${engine})`, { skip: engine === 'haproxy' && haproxySkip() }, () => {
  let ws: ZooWorkspace;
  let main: string;
  before(async () => {
    // zooConfig: router.drainTimeout 1s; the release answers /api/checkout 400 ms late.
    ws = ZooWorkspace.create(['v1-good', 'v2-abrupt-5xx'], zooConfig({ monitor: '20s', stableFor: '500ms', engine }));
    main = await ws.up();
  });
  after(() => ws.dispose());

  test('they complete, or get a 504 after drainTimeout; none is reset or answered 502', { timeout: 120_000 }, async () => {
    assert.equal((await ws.cli(['deploy', 'v1-good'])).code, 0);
    // Given v1 live on blue under load, 30% of it to a path v2 answers 400 ms late
    const load = new LoadGenerator({ url: main, model: 'closed', connections: 4, durationMs: 120_000, path: '/api/items', slowPath: '/api/checkout', slowFraction: 0.3, requestTimeoutMs: 15_000 }).start();
    // When v2 (500 on most paths: the 5xx guardrail rolls it back) is deployed, and from its bake
    // window on requests that v2 never answers keep arriving
    const running = ws.start(['deploy', 'v2-abrupt-5xx']);
    const deadline = Date.now() + 60_000;
    while (!/"phase":\s*"monitor"/.test(readFileSync(join(ws.dir, '.cutover', 'state.json'), 'utf8'))) {
      assert.ok(Date.now() < deadline, 'the deploy never reached its bake window');
      await new Promise((r) => setTimeout(r, 20));
    }
    const hung: Array<Promise<Answer>> = [];
    let done = false;
    const r = running.done.finally(() => { done = true; });
    while (!done) {
      hung.push(hung.length % 2 === 0 ? send(`${main}/api/hang`) : sendOnReusedConnection(main, '/api/hang'));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await r;
    const hangs = await Promise.all(hung);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();

    // Then it was rolled back on its 5xx
    assert.equal(result.code, 1, explain(result));
    assert.equal(result.json.outcome, 'rolled_back', explain(result));
    const monitor = result.json.phases.filter((p: { name: string }) => p.name === 'monitor').at(-1);
    // (On the haproxy engine the stuck-requests signal, read from `show sess`, may fire first:
    // the never-answered requests are as much the release's fault.)
    assert.ok((engine === 'node' ? ['5xx'] : ['5xx', 'stuck-requests']).includes(monitor.data.verdict.signal), monitor.detail);
    // and the requests v2 was still answering when traffic moved back finished there
    const records = load.records();
    const onGreen = records.filter((x) => x.version === 'v2-abrupt-5xx');
    const slowOnGreen = onGreen.filter((x) => x.status === 200);
    const cut = records.filter((x) => x.error !== null || x.status === 502 || x.status === 0);
    assert.ok(slowOnGreen.length > 0, 'some slow requests were answered by v2');
    assert.deepEqual(cut.map((x) => `${x.status} ${x.error}`), [], 'no request of the load was reset or answered 502');
    // and the ones it never answers got the router's 504 after the drain timeout, not a reset
    const green = hangs.filter((h) => h.version !== 'v1-good');
    assert.ok(green.length > 0, `some of the ${hangs.length} never-answered requests reached v2`);
    assert.deepEqual([...new Set(green.map((h) => h.error ?? h.status))], [504], JSON.stringify(green));
    assert.ok(green.every((h) => h.ms >= 900), `each waited out the 1 s drain: ${green.map((h) => h.ms).join(', ')} ms`);
  });
});
