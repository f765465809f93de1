// router.engine haproxy: WebSockets and event streams on the old color at a switch get the same
// drain as on the Node engine (long-lived-drain.test.ts): they keep working until drainTimeout,
// then a WebSocket gets a 1001 close frame on both sides (not a cut, which clients see as 1006)
// and an event stream is ended cleanly, so clients reconnect to the new color.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { startTestBackend, type TestBackend } from '../../../test/support/test-backend.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';
import { openSockets } from '../../../test/support/websocket-client.ts';

const DRAIN_MS = 300;
const loopback = { host: '127.0.0.1', port: 0 };

/** Resolves with the next message `ws` receives; rejects if the socket closes or 2 s pass first. */
function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 2 s')), 2000);
    const onClose = (code: number) => { clearTimeout(timer); reject(new Error(`socket closed (${code}) before the message arrived`)); };
    ws.once('close', onClose);
    ws.once('message', (data) => { clearTimeout(timer); ws.off('close', onClose); resolve(data.toString()); });
  });
}

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
    const url = `${plane.address.main.replace('http', 'ws')}/chat`;
    let live: 'blue' | 'green' = 'blue';
    await plane.switchTo(live);
    const codes: Record<number, number> = {};
    const upstreamCodes: Record<number, number> = {};
    for (let i = 0; i < 20; i++) {
      const group = await openSockets(url, 3);
      for (const ws of group.sockets) {
        ws.send('before');
        assert.equal(await nextMessage(ws), `${live}:before`, `switch ${i}`);
      }
      const backend = live === 'blue' ? blue : green;
      for (const server of backend.sockets) server.once('close', (code) => { upstreamCodes[code] = (upstreamCodes[code] ?? 0) + 1; });
      const next: 'blue' | 'green' = live === 'blue' ? 'green' : 'blue';
      const switchedAt = performance.now();
      const report = await plane.switchTo(next);

      // During the drain the old color still answers on the sockets it has.
      const probe = group.sockets[0]!;
      probe.send('during');
      assert.equal(await nextMessage(probe), `${live}:during`, `switch ${i}`);

      const outcomes = await group.closed;
      const waited = performance.now() - switchedAt;
      assert.ok(waited >= DRAIN_MS - 20, `switch ${i}: sockets closed after ${waited.toFixed(0)} ms, before the ${DRAIN_MS} ms drain timeout`);
      for (const o of outcomes) codes[o.code ?? -1] = (codes[o.code ?? -1] ?? 0) + 1;
      assert.deepEqual(outcomes.map((o) => o.code), [1001, 1001, 1001], `switch ${i}: close codes`);
      const drained = await report.drained;
      assert.deepEqual(drained.websockets, { completed: 0, goingAway: 3 }, `switch ${i}`);

      const again = await openSockets(url, 1);
      again.sockets[0]!.send('again');
      assert.equal(await nextMessage(again.sockets[0]!), `${next}:again`, `switch ${i}: the reconnect went to the old color`);
      again.close();
      await again.closed;
      live = next;
    }
    assert.deepEqual(codes, { 1001: 60 }, 'close codes the clients saw');
    for (let deadline = performance.now() + 2000; (upstreamCodes[1001] ?? 0) < 60 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(upstreamCodes, { 1001: 60 }, 'close codes the old color\'s app saw');
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
  let backend: Server;
  let plane: HaproxyDataPlane;
  let dir: string;

  before(async () => {
    backend = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      let n = 0;
      const timer = setInterval(() => res.write(`id: ${++n}\ndata: tick ${n}\n\n`), 20);
      res.on('close', () => clearInterval(timer));
      req.resume();
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'cutover-hxsse-'));
    plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: DRAIN_MS, listen: loopback });
    await plane.setUpstreams('blue', [origin]);
    await plane.setUpstreams('green', [origin]);
  });

  after(async () => {
    await plane.close();
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  test('an event stream keeps flowing until drainTimeout, then ends cleanly (no cut) so the client reconnects', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${plane.address.main}/events`, { agent: false, headers: { accept: 'text/event-stream' } }, resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => { body += chunk; });
    const ended = new Promise<'end' | 'aborted'>((resolve) => {
      res.once('end', () => resolve('end'));
      res.once('aborted', () => resolve('aborted'));
      res.once('error', () => resolve('aborted'));
    });
    await new Promise((r) => setTimeout(r, 60));
    const switchedAt = performance.now();
    const report = await plane.switchTo('green');
    const how = await ended;
    const waited = performance.now() - switchedAt;
    assert.equal(how, 'end', 'the event stream was cut instead of ended');
    assert.ok(waited >= DRAIN_MS - 20, `the stream ended after ${waited.toFixed(0)} ms, before the drain timeout`);
    const ticks = body.match(/data: tick \d+\n\n/g)?.length ?? 0;
    assert.ok(ticks >= 6, `only ${ticks} events arrived in ${waited.toFixed(0)} ms: the stream did not keep flowing during the drain`);
    assert.equal((await report.drained).timedOut, 1);
  });
});
