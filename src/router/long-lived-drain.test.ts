import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { openSockets } from '../../test/support/websocket-client.ts';
import { closeCodesAcrossSwitches, nextMessage } from '../../test/support/websocket-switches.ts';
import { assertEventStreamDrains, startEventStreamApp } from '../../test/support/event-stream-drain.ts';

const loopback = { host: '127.0.0.1', port: 0 };
const DRAIN_MS = 250;

describe('router: WebSockets on the old color at a switch', () => {
  let blue: TestBackend;
  let green: TestBackend;
  let router: Router;

  before(async () => {
    [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
    router = await Router.start({ listen: loopback, drainTimeoutMs: DRAIN_MS });
    router.setUpstreams('blue', [blue.url]);
    router.setUpstreams('green', [green.url]);
  });

  after(async () => {
    await router.close();
    await Promise.all([blue.close(), green.close()]);
  });

  test('across 20 switches every socket keeps working until drainTimeout, then gets a 1001 close frame; the reconnect lands on the new color', async () => {
    router.switchTo('blue');
    await closeCodesAcrossSwitches({
      url: `${router.address.main.replace('http', 'ws')}/chat`,
      backends: { blue, green },
      drainMs: DRAIN_MS,
      switchTo: (color) => router.switchTo(color),
    });
  });

  test('a socket its app closes during the drain ends with the app\'s own close, and counts as completed', async () => {
    router.switchTo('blue');
    const url = `${router.address.main.replace('http', 'ws')}/chat`;
    const group = await openSockets(url, 2);
    const report = router.switchTo('green');
    [...blue.sockets][0]!.close(1000, 'bye');
    const outcomes = await group.closed;
    assert.deepEqual(outcomes.map((o) => o.code).sort(), [1000, 1001]);
    assert.deepEqual((await report.drained).websockets, { completed: 1, goingAway: 1 });
  });

  test('a large message in flight at the deadline arrives whole before the close frame', async () => {
    router.switchTo('blue');
    const url = `${router.address.main.replace('http', 'ws')}/chat`;
    const group = await openSockets(url, 1);
    const ws = group.sockets[0]!;
    const received: number[] = [];
    ws.on('message', (data: Buffer) => received.push(data.length));
    const report = router.switchTo('green');
    // The client stops reading while the app sends 16 MiB, so the router holds part of that frame
    // when the drain ends; the close frame must wait for the frame's end rather than corrupt it.
    ws.pause();
    for (const server of blue.sockets) server.send(Buffer.alloc(16 * 1024 * 1024, 1));
    await new Promise((r) => setTimeout(r, DRAIN_MS + 100));
    assert.deepEqual(received, [], 'the client read while paused');
    ws.resume();
    const [outcome] = await group.closed;
    assert.equal(outcome!.code, 1001);
    assert.equal(outcome!.error, null);
    assert.deepEqual(received, [16 * 1024 * 1024]);
    await report.drained;
  });
});

describe('router: server-sent events on the old color at a switch', () => {
  let app: Awaited<ReturnType<typeof startEventStreamApp>>;
  let router: Router;

  before(async () => {
    app = await startEventStreamApp();
    router = await Router.start({ listen: loopback, drainTimeoutMs: DRAIN_MS });
    router.setUpstreams('blue', [app.origin]);
    router.setUpstreams('green', [app.origin]);
  });

  after(async () => {
    await router.close();
    await app.close();
  });

  test('an event stream keeps flowing until drainTimeout, then ends cleanly (no cut) so the client reconnects', async () => {
    router.switchTo('blue');
    await assertEventStreamDrains(`${router.address.main}/events`, DRAIN_MS, () => router.switchTo('green'));
  });
});

describe('router: WebSockets when the router is retired (daemon restart or upgrade)', () => {
  let blue: TestBackend;
  let green: TestBackend;

  before(async () => {
    [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
  });

  after(async () => {
    await Promise.all([blue.close(), green.close()]);
  });

  test('main and preview sockets get a 1001 close frame at once, on both sides, and the retire ends well before drainTimeout', { timeout: 30_000 }, async () => {
    const drainTimeoutMs = 5_000;
    const router = await Router.start({ listen: loopback, preview: loopback, drainTimeoutMs });
    try {
      router.setUpstreams('blue', [blue.url]);
      router.setUpstreams('green', [green.url]);
      router.switchTo('blue');
      router.setPreview('green');
      const main = await openSockets(`${router.address.main.replace('http', 'ws')}/chat`, 3);
      const preview = await openSockets(`${router.address.preview!.replace('http', 'ws')}/chat`, 2);
      for (const ws of main.sockets) {
        ws.send('hi');
        assert.equal(await nextMessage(ws), 'blue:hi');
      }
      for (const ws of preview.sockets) {
        ws.send('hi');
        assert.equal(await nextMessage(ws), 'green:hi');
      }
      const appCodes: Record<number, number> = {};
      for (const server of [...blue.sockets, ...green.sockets]) server.once('close', (code) => { appCodes[code] = (appCodes[code] ?? 0) + 1; });

      const report = await router.retire();
      const outcomes = [...await main.closed, ...await preview.closed];
      const codes: Record<number, number> = {};
      for (const o of outcomes) codes[o.code ?? -1] = (codes[o.code ?? -1] ?? 0) + 1;
      assert.deepEqual(codes, { 1001: 5 }, 'close codes the clients saw');
      assert.equal(report.drained, true, 'the sockets ended on their own, before the drain timeout cut them');
      assert.ok(report.durationMs < drainTimeoutMs / 2, `retire took ${Math.round(report.durationMs)} ms`);
      for (let deadline = performance.now() + 2000; (appCodes[1001] ?? 0) < 5 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(appCodes, { 1001: 5 }, 'close codes the apps saw');
    } finally {
      await router.close();
    }
  });

  test('a socket on a color being drained keeps its drain: it goes away at the drain deadline, not at the retire', { timeout: 30_000 }, async () => {
    const drainTimeoutMs = 1_500;
    const router = await Router.start({ listen: loopback, drainTimeoutMs });
    try {
      router.setUpstreams('blue', [blue.url]);
      router.setUpstreams('green', [green.url]);
      router.switchTo('blue');
      const group = await openSockets(`${router.address.main.replace('http', 'ws')}/chat`, 1);
      const switched = router.switchTo('green');
      const switchedAt = performance.now();
      // Retired after the switch, so the retire's own deadline comes after the drain's.
      await new Promise((r) => setTimeout(r, 500));
      const retired = router.retire();
      const [outcome] = await group.closed;
      const waited = performance.now() - switchedAt;
      assert.equal(outcome!.code, 1001);
      assert.ok(waited >= drainTimeoutMs - 50, `the draining socket was closed after ${Math.round(waited)} ms, before its drain deadline`);
      assert.deepEqual((await switched.drained).websockets, { completed: 0, goingAway: 1 });
      assert.equal((await retired).drained, true);
    } finally {
      await router.close();
    }
  });
});

describe('router: a WebSocket still being opened when the router is retired', () => {
  let app: WebSocketServer;
  let origin: string;
  const appCodes: number[] = [];
  before(async () => {
    // An app that takes 300 ms to accept an upgrade.
    app = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (_info, done) => { setTimeout(() => done(true), 300); } });
    app.on('connection', (socket) => socket.on('close', (code) => appCodes.push(code)));
    await new Promise<void>((resolve) => app.once('listening', () => resolve()));
    origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  after(async () => { await new Promise<void>((resolve) => app.close(() => resolve())); });

  test('opens, and then gets its 1001, instead of being cut mid-handshake', { timeout: 20_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 5_000 });
    try {
      router.setUpstreams('blue', [origin]);
      router.switchTo('blue');
      const ws = new WebSocket(`${router.address.main.replace('http', 'ws')}/chat`);
      let opened = false;
      ws.on('open', () => { opened = true; });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => {});
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(opened, false, 'the app answered the upgrade before the retire');
      const report = await router.retire();
      assert.equal(await closed, 1001);
      assert.equal(opened, true, 'the socket never opened');
      assert.equal(report.drained, true);
      for (let deadline = performance.now() + 2000; appCodes.length === 0 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(appCodes, [1001]);
    } finally {
      await router.close();
    }
  });
});

describe('router: WebSockets when the router closes (cutover down)', () => {
  let blue: TestBackend;
  before(async () => { blue = await startTestBackend('blue'); });
  after(async () => { await blue.close(); });

  test('each open socket gets a 1001 close frame on both sides instead of being cut', { timeout: 20_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 5_000 });
    router.setUpstreams('blue', [blue.url]);
    router.switchTo('blue');
    const group = await openSockets(`${router.address.main.replace('http', 'ws')}/chat`, 3);
    for (const ws of group.sockets) {
      ws.send('hi');
      assert.equal(await nextMessage(ws), 'blue:hi');
    }
    const appCodes: Record<number, number> = {};
    for (const server of blue.sockets) server.once('close', (code) => { appCodes[code] = (appCodes[code] ?? 0) + 1; });
    await router.close();
    const codes: Record<number, number> = {};
    for (const o of await group.closed) codes[o.code ?? -1] = (codes[o.code ?? -1] ?? 0) + 1;
    assert.deepEqual(codes, { 1001: 3 }, 'close codes the clients saw');
    for (let deadline = performance.now() + 2000; (appCodes[1001] ?? 0) < 3 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(appCodes, { 1001: 3 }, 'close codes the app saw');
  });
});
