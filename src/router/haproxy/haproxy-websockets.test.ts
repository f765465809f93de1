// router.engine haproxy: WebSockets and event streams on the old color at a switch get the same
// drain as on the Node engine (long-lived-drain.test.ts): they keep working until drainTimeout,
// then a WebSocket gets a 1001 close frame on both sides (not a cut, which clients see as 1006)
// and an event stream is ended cleanly, so clients reconnect to the new color.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { startTestBackend, type TestBackend } from '../../../test/support/test-backend.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';
import { openSockets } from '../../../test/support/websocket-client.ts';
import { closeCodesAcrossSwitches, nextMessage } from '../../../test/support/websocket-switches.ts';
import { assertEventStreamDrains, startEventStreamApp } from '../../../test/support/event-stream-drain.ts';

const DRAIN_MS = 300;
const loopback = { host: '127.0.0.1', port: 0 };

describe('haproxy engine: WebSockets on the old color at a switch', { skip: haproxySkip() }, () => {
  let blue: TestBackend;
  let green: TestBackend;
  let plane: HaproxyDataPlane;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-hxws-'));
    [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
    plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: DRAIN_MS, listen: loopback, preview: loopback });
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
  });

  after(async () => {
    await plane.close();
    await Promise.all([blue.close(), green.close()]);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  test('across 20 switches every socket works until drainTimeout, then gets a 1001 close frame; the reconnect lands on the new color', { timeout: 120_000 }, async () => {
    await plane.switchTo('blue');
    await closeCodesAcrossSwitches({
      url: `${plane.address.main.replace('http', 'ws')}/chat`,
      backends: { blue, green },
      drainMs: DRAIN_MS,
      switchTo: (color) => plane.switchTo(color),
    });
  });

  test('the preview listener relays WebSockets to the preview color, and a switch leaves them open', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    await plane.setPreview('green');
    const group = await openSockets(`${plane.address.preview!.replace('http', 'ws')}/chat`, 1);
    const ws = group.sockets[0]!;
    ws.send('hi');
    assert.equal(await nextMessage(ws), 'green:hi');
    const report = await plane.switchTo('green');
    await report.drained;
    await new Promise((r) => setTimeout(r, DRAIN_MS + 100));
    ws.send('still');
    assert.equal(await nextMessage(ws), 'green:still');
    group.close();
    assert.deepEqual((await group.closed).map((o) => o.code), [1000]);
  });

  test('a split sends a WebSocket where it sends a plain request (bucket cookie, cohort); maintenance refuses the upgrade with 503', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    await plane.setSplit({ weights: { blue: 70, green: 30 }, cohort: { header: { name: 'X-Tester', values: ['qa'] } } });
    const echo = async (headers: Record<string, string>): Promise<string> => {
      const ws = new WebSocket(`${plane.address.main.replace('http', 'ws')}/chat`, { headers });
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      ws.send('hi');
      const answer = await nextMessage(ws);
      ws.close();
      return answer;
    };
    assert.equal(await echo({ cookie: 'cutover_split=0' }), 'green:hi', 'bucket 0 is below the threshold');
    assert.equal(await echo({ cookie: 'cutover_split=9999' }), 'blue:hi');
    assert.equal(await echo({ cookie: 'cutover_split=9999', 'x-tester': 'qa' }), 'green:hi', 'a cohort value beats the bucket');
    await plane.clearSplit();

    await plane.setMaintenance({ on: true, message: 'back soon', retryAfterSec: 7 });
    try {
      const refused = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${plane.address.main.replace('http', 'ws')}/chat`);
        ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); ws.terminate(); });
        ws.once('open', () => reject(new Error('the upgrade was accepted in maintenance')));
        ws.on('error', () => {});
      });
      assert.equal(refused, 503);
    } finally {
      await plane.setMaintenance({ on: false });
    }
  });

  test('the app sees the forwarded headers HAProxy sets, each once, on an upgrade too', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    const before = blue.arrivals.length;
    const group = await openSockets(`${plane.address.main.replace('http', 'ws')}/chat`, 1);
    const arrival = blue.arrivals.slice(before).find((a) => a.path === '/chat')!;
    group.close();
    await group.closed;
    assert.equal(arrival.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(arrival.headers['x-real-ip'], '127.0.0.1');
    assert.match(String(arrival.headers['forwarded']), /^for=127\.0\.0\.1;host="127\.0\.0\.1:\d+";proto=http$/);
    const names = arrival.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.equal(names.filter((n) => /^(x-forwarded-|x-real-ip$|forwarded$)/.test(n)).length, 5, 'one of each');
    assert.equal(names.filter((n) => n.startsWith('x-cutover-relay')).length, 0, 'the relay\'s own header does not reach the app');
  });
});

describe('haproxy engine: server-sent events on the old color at a switch', { skip: haproxySkip() }, () => {
  let app: Awaited<ReturnType<typeof startEventStreamApp>>;
  let plane: HaproxyDataPlane;
  let dir: string;

  before(async () => {
    app = await startEventStreamApp();
    dir = mkdtempSync(join(tmpdir(), 'cutover-hxsse-'));
    plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: DRAIN_MS, listen: loopback });
    await plane.setUpstreams('blue', [app.origin]);
    await plane.setUpstreams('green', [app.origin]);
  });

  after(async () => {
    await plane.close();
    await app.close();
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  test('an event stream keeps flowing until drainTimeout, then ends cleanly (no cut) so the client reconnects', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    await assertEventStreamDrains(`${plane.address.main}/events`, DRAIN_MS, () => plane.switchTo('green'));
  });
});

describe('haproxy engine: WebSockets when the data plane closes (cutover down)', { skip: haproxySkip() }, () => {
  let blue: TestBackend;
  before(async () => { blue = await startTestBackend('blue'); });
  after(async () => { await blue.close(); });

  test('each open socket gets a 1001 close frame on both sides before HAProxy stops', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-hxws-'));
    const plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: 5_000, listen: loopback });
    try {
      await plane.setUpstreams('blue', [blue.url]);
      await plane.switchTo('blue');
      const group = await openSockets(`${plane.address.main.replace('http', 'ws')}/chat`, 3);
      for (const ws of group.sockets) {
        ws.send('hi');
        assert.equal(await nextMessage(ws), 'blue:hi');
      }
      assert.equal((await plane.traffic()).blue.websockets, 3, 'the relay counts the open sockets');
      const appCodes: number[] = [];
      for (const server of blue.sockets) server.once('close', (code) => appCodes.push(code));
      await plane.close();
      assert.deepEqual((await group.closed).map((o) => o.code), [1001, 1001, 1001], 'close codes the clients saw');
      for (let deadline = performance.now() + 2000; appCodes.length < 3 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(appCodes, [1001, 1001, 1001], 'close codes the app saw');
    } finally {
      await plane.close();
      if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    }
  });
});
