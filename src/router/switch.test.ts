import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { LoadGenerator } from '../loadgen/load-generator.ts';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { httpRequest } from '../../test/support/test-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loopback = { host: '127.0.0.1', port: 0 };

function openSocket(url: string): Promise<{ ws: WebSocket; next(): Promise<string>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const inbox: string[] = [];
    const waiters: ((m: string) => void)[] = [];
    ws.on('message', (data) => {
      const text = data.toString();
      const waiter = waiters.shift();
      if (waiter) waiter(text);
      else inbox.push(text);
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('error', () => {});
    ws.once('open', () => resolve({
      ws,
      next: () => inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiters.push(r)),
      closed,
    }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('router: switching colors', () => {
  let blue: TestBackend[];
  let green: TestBackend[];
  let router: Router;

  before(async () => {
    blue = await Promise.all([startTestBackend('blue'), startTestBackend('blue')]);
    green = await Promise.all([startTestBackend('green'), startTestBackend('green')]);
    router = await Router.start({ listen: loopback, preview: loopback, drainTimeoutMs: 300 });
    router.setUpstreams('blue', blue.map((b) => b.url));
    router.setUpstreams('green', green.map((b) => b.url));
  });

  after(async () => {
    await router.close();
    await Promise.all([...blue, ...green].map((b) => b.close()));
  });

  test('under keep-alive load, no request sent after switchTo returns reaches the old color', async () => {
    router.switchTo('blue');
    const load = new LoadGenerator({ model: 'closed', url: router.address.main, connections: 8, durationMs: 5000, newConnectionFraction: 0.05 }).start();
    // Sample until there is enough traffic to prove something (bounded): on a loaded 2-core
    // machine a fixed 250 ms can hold only a handful of requests.
    const blueArrivals = () => blue.reduce((n, b) => n + b.arrivals.length, 0);
    for (const deadline = Date.now() + 4_000; blueArrivals() <= 20 && Date.now() < deadline;) await sleep(50);
    const arrivalsBefore = blueArrivals();
    assert.ok(arrivalsBefore > 20, `blue saw only ${arrivalsBefore} requests before the switch`);

    const report = router.switchTo('green');
    load.mark('after-switch');
    const sentAfter = () => load.records().filter((r) => r.start > report.switchedAt).length;
    await sleep(250);
    for (const deadline = Date.now() + 4_000; sentAfter() <= 20 && Date.now() < deadline;) await sleep(50);
    const result = await load.stop();
    const drained = await report.drained;

    assert.equal(report.from, 'blue');
    assert.equal(report.to, 'green');
    const late = load.records().filter((r) => r.start > report.switchedAt);
    assert.ok(late.length > 20, `only ${late.length} requests were sent after the switch`);
    assert.deepEqual(late.filter((r) => r.color !== 'green').map((r) => r.color), [], 'requests sent after the switch were served by another color');
    assert.equal(result.total.socketErrors, 0);
    assert.equal(result.total.non2xx, 0);
    const afterSwitch = result.windows.find((w) => w.label === 'after-switch')!;
    assert.deepEqual(Object.keys(afterSwitch.byColor), ['green']);

    // Blue may still receive what the router had already sent its way, and nothing more.
    const blueLate = blue.flatMap((b) => b.arrivals).filter((a) => a.at > report.switchedAt).length;
    assert.ok(blueLate <= drained.completed + drained.timedOut, `blue got ${blueLate} requests after the switch but only ${drained.completed + drained.timedOut} were in flight`);
    assert.equal(drained.timedOut, 0);
  });

  test('20 switches back and forth under load: zero errors, every response 2xx', async () => {
    router.switchTo('blue');
    const load = new LoadGenerator({ model: 'closed', url: router.address.main, connections: 6, durationMs: 5000 }).start();
    let to: 'blue' | 'green' = 'green';
    for (let i = 0; i < 20; i++) {
      await sleep(25);
      router.switchTo(to);
      to = to === 'green' ? 'blue' : 'green';
    }
    const result = await load.stop();
    assert.ok(result.total.requests > 100, `only ${result.total.requests} requests`);
    assert.equal(result.total.socketErrors, 0, JSON.stringify(result.total.byError));
    assert.equal(result.total.non2xx, 0, JSON.stringify(result.total.byStatus));
    assert.ok((result.total.byColor['blue'] ?? 0) > 0 && (result.total.byColor['green'] ?? 0) > 0);
  });

  test('requests left on the old color drain until drainTimeout, then get 504', async () => {
    router.switchTo('blue');
    const slow = [
      httpRequest(`${router.address.main}/slow?ms=3000`),
      httpRequest(`${router.address.main}/slow?ms=3000`),
    ];
    const quick = httpRequest(`${router.address.main}/slow?ms=100`);
    const deadline = performance.now() + 3000;
    while (router.stats().colors.blue.main.inFlight < 3 && performance.now() < deadline) await sleep(5);
    assert.equal(router.stats().colors.blue.main.inFlight, 3);

    const started = performance.now();
    const report = router.switchTo('green');
    const during = await httpRequest(router.address.main);
    assert.equal(during.headers['x-cutover-color'], 'green');

    const quickRes = await quick;
    assert.equal(quickRes.status, 200);
    assert.equal(quickRes.headers['x-cutover-color'], 'blue');
    const slowRes = await Promise.all(slow);
    const waited = performance.now() - started;
    assert.deepEqual(slowRes.map((r) => r.status), [504, 504]);
    assert.match(slowRes[0]!.body, /300 ms drain timeout/);
    assert.ok(waited >= 280 && waited < 1500, `504s came after ${waited.toFixed(0)} ms, drainTimeout is 300`);

    const drained = await report.drained;
    assert.equal(drained.color, 'blue');
    assert.equal(drained.completed, 1);
    assert.equal(drained.timedOut, 2);
    assert.equal(router.stats().colors.blue.main.inFlight, 0);
  });

  test('WebSockets pass through; those on the old color get a 1001 close frame at the drain timeout', async () => {
    router.switchTo('blue');
    router.setPreview('green');
    const wsUrl = router.address.main.replace('http', 'ws');
    const main = await openSocket(`${wsUrl}/chat`);
    main.ws.send('hello');
    assert.equal(await main.next(), 'blue:hello');
    const preview = await openSocket(`${router.address.preview!.replace('http', 'ws')}/chat`);
    preview.ws.send('hi');
    assert.equal(await preview.next(), 'green:hi');
    assert.equal(router.stats().colors.blue.websockets, 1);

    const forwarded = blue.flatMap((b) => b.arrivals).filter((a) => a.path === '/chat').at(-1)!;
    assert.equal(forwarded.headers['x-forwarded-proto'], 'http');
    assert.equal(forwarded.headers['upgrade'], 'websocket');

    router.switchTo('green');
    const code = await Promise.race([main.closed, sleep(2000).then(() => -1)]);
    assert.equal(code, 1001, 'the blue WebSocket was not closed with 1001 (going away) after the drain');
    assert.equal(preview.ws.readyState, WebSocket.OPEN, 'the preview socket on green must stay open');

    const again = await openSocket(`${wsUrl}/chat`);
    again.ws.send('again');
    assert.equal(await again.next(), 'green:again');
    again.ws.close();
    preview.ws.close();
    await Promise.all([again.closed, preview.closed]);
  });
});
