// Event streams and WebSocket handshakes are real traffic on a color: a new color whose event
// stream or upgrade answers 5xx must show up as failing in the router's per-color counters,
// which feed the builtin metric provider and the default guardrails. On engine haproxy both go
// through the daemon's relay (long-lived-relay.ts) rather than HAProxy's per-color backends, so
// the same scenario runs on both engines and must give the same numbers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startDataPlane } from '../src/drivers/local/start-data-plane.ts';
import type { DataPlane } from '../src/drivers/local/data-plane.ts';
import { routerCountersFromText } from '../src/metrics/builtin/router-exposition.ts';
import { haproxySkip } from './support/haproxy.ts';
import { startTestBackend, type TestBackend } from './support/test-backend.ts';

const STREAM_MS = 250;

/**
 * A release whose long-lived paths fail: `/events-fail` answers an event stream request 500,
 * `/events-ok` streams one event and ends after STREAM_MS; an upgrade to `/ws-fail` is answered
 * 503, one to `/ws-ok` opens a WebSocket.
 */
async function startLongLivedApp(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ noServer: true });
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url === '/events-ok') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('data: hello\n\n');
      setTimeout(() => res.end(), STREAM_MS);
      return;
    }
    res.writeHead(500, { 'content-type': 'text/plain' }).end('boom\n');
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/ws-ok') return wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m.toString())));
    socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An EventSource-like GET: its status, once the whole response has been read. */
function eventStream(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

/** The status an upgrade was answered with (101 once open), and the socket when it opened. */
function upgrade(url: string): Promise<{ status: number; ws: WebSocket | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve({ status: res.statusCode ?? 0, ws: null }); ws.terminate(); });
    ws.once('error', (err) => reject(err));
  });
}

for (const engine of ['node', 'haproxy'] as const) describe(`event streams and WebSocket handshakes in the per-color counters (router.engine ${engine})`, { skip: engine === 'haproxy' && haproxySkip() }, () => {
  let blue: TestBackend;
  let green: Awaited<ReturnType<typeof startLongLivedApp>>;
  let plane: DataPlane;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-long-counters-'));
    blue = await startTestBackend('blue');
    green = await startLongLivedApp();
    plane = await startDataPlane({ engine, workDir: dir, drainTimeoutMs: 300, listen: { host: '127.0.0.1', port: 0 } });
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
    await plane.switchTo('blue');
  });

  after(async () => {
    await plane.close();
    await Promise.all([blue.close(), green.close()]);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  test('a new color whose event streams and upgrades answer 5xx is counted failing, with their latency, as plain requests are', { timeout: 30_000 }, async () => {
    await plane.switchTo('green');
    const main = plane.address.main;
    const ws = main.replace('http', 'ws');
    const before = (await plane.counters()).colors.green.main;
    const started = performance.now();
    assert.deepEqual(await Promise.all([1, 2, 3].map(() => eventStream(`${main}/events-fail`))), [500, 500, 500]);
    assert.equal(await eventStream(`${main}/events-ok`), 200);
    const failed = await Promise.all([1, 2].map(() => upgrade(`${ws}/ws-fail`)));
    assert.deepEqual(failed.map((u) => u.status), [503, 503]);
    const opened = await upgrade(`${ws}/ws-ok`);
    assert.equal(opened.status, 101);
    const elapsed = (performance.now() - started) / 1000;

    const text = await plane.metricsText();
    const counters = await plane.counters();
    const green5xx = counters.colors.green.main;
    assert.deepEqual(
      { '2xx': green5xx.requests['2xx'] - before.requests['2xx'], '5xx': green5xx.requests['5xx'] - before.requests['5xx'] },
      { '2xx': 2, '5xx': 5 },
      '3 event streams and 2 upgrades answered 5xx; one event stream and one upgrade answered 200 and 101',
    );
    assert.equal(green5xx.inFlight, 0, 'the open WebSocket\'s handshake is over: nothing is in flight');
    assert.equal(green5xx.latency.at(-1)! - before.latency.at(-1)!, 7, 'every one has a latency sample');
    const sum = green5xx.latencySumSeconds - before.latencySumSeconds;
    assert.ok(sum >= STREAM_MS / 1000 && sum <= elapsed * 7, `latency sum ${sum}s: the event stream counts until its last byte`);
    assert.deepEqual(counters, routerCountersFromText(text, engine), 'the exposition says what the JSON counters say');
    assert.match(text, /cutover_router_requests_total\{color="green",listener="main",class="5xx"\} 5\n/);
    const traffic = await plane.traffic();
    assert.equal(traffic.green.main.byClass['5xx'], 5, 'the switch proof\'s counters see them too');
    assert.equal(traffic.green.websockets, 1);
    opened.ws!.close();
  });

  test('a WebSocket and an event stream on the old color at a switch count toward what it had accepted, not since', { timeout: 30_000 }, async () => {
    await plane.switchTo('green');
    const opened = await upgrade(`${plane.address.main.replace('http', 'ws')}/ws-ok`);
    assert.equal(opened.status, 101);
    const stream = eventStream(`${plane.address.main}/events-ok`);
    await new Promise((r) => setTimeout(r, 50));
    const report = await plane.switchTo('blue');
    const acceptedNow = async () => { const t = (await plane.traffic()).green.main; return t.requests + t.inFlight; };
    assert.equal(await acceptedNow(), report.acceptedBefore, 'at the switch');
    assert.equal(await stream, 200, 'the stream finished within the drain');
    await report.drained;
    assert.equal(await acceptedNow(), report.acceptedBefore, 'the old color accepted nothing after the switch');
    opened.ws?.terminate();
  });
});
