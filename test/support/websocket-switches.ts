import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import type { DrainReport } from '../../src/router/drain-watch.ts';
import type { TestBackend } from './test-backend.ts';
import { openSockets } from './websocket-client.ts';

/** Resolves with the next message `ws` receives; rejects if the socket closes or 2 s pass first. */
export function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 2 s')), 2000);
    const onClose = (code: number) => { clearTimeout(timer); reject(new Error(`socket closed (${code}) before the message arrived`)); };
    ws.once('close', onClose);
    ws.once('message', (data) => { clearTimeout(timer); ws.off('close', onClose); resolve(data.toString()); });
  });
}

type Live = 'blue' | 'green';

/**
 * The proof, on either engine: `switches` switches with `perSwitch` real WebSockets
 * open on the live color each time. Each socket must keep working during the drain, get a
 * 1001 close frame no earlier than `drainMs` after the switch (on both sides), count in the
 * drain report as gone away, and a reconnect must land on the new color. `blue` must be live.
 * `switchTo` is the engine's (sync for the Node router, async for HAProxy).
 */
export async function closeCodesAcrossSwitches(options: {
  url: string;
  backends: Record<Live, TestBackend>;
  drainMs: number;
  switchTo: (color: Live) => { drained: Promise<DrainReport> } | Promise<{ drained: Promise<DrainReport> }>;
  switches?: number;
  perSwitch?: number;
}): Promise<void> {
  const { url, backends, drainMs, switches = 20, perSwitch = 3 } = options;
  let live: Live = 'blue';
  const codes: Record<number, number> = {};
  const upstreamCodes: Record<number, number> = {};
  for (let i = 0; i < switches; i++) {
    const group = await openSockets(url, perSwitch);
    for (const ws of group.sockets) {
      ws.send('before');
      assert.equal(await nextMessage(ws), `${live}:before`, `switch ${i}`);
    }
    for (const server of backends[live].sockets) server.once('close', (code) => { upstreamCodes[code] = (upstreamCodes[code] ?? 0) + 1; });
    const next: Live = live === 'blue' ? 'green' : 'blue';
    const switchedAt = performance.now();
    const report = await options.switchTo(next);

    // During the drain the old color still answers on the sockets it has.
    const probe = group.sockets[0]!;
    probe.send('during');
    assert.equal(await nextMessage(probe), `${live}:during`, `switch ${i}`);

    const outcomes = await group.closed;
    const waited = performance.now() - switchedAt;
    assert.ok(waited >= drainMs - 20, `switch ${i}: sockets closed after ${waited.toFixed(0)} ms, before the ${drainMs} ms drain timeout`);
    for (const o of outcomes) codes[o.code ?? -1] = (codes[o.code ?? -1] ?? 0) + 1;
    assert.deepEqual(outcomes.map((o) => o.code), Array(perSwitch).fill(1001), `switch ${i}: close codes`);
    assert.deepEqual((await report.drained).websockets, { completed: 0, goingAway: perSwitch }, `switch ${i}`);

    const again = await openSockets(url, 1);
    again.sockets[0]!.send('again');
    assert.equal(await nextMessage(again.sockets[0]!), `${next}:again`, `switch ${i}: the reconnect went to the old color`);
    again.close();
    await again.closed;
    live = next;
  }
  const total = switches * perSwitch;
  assert.deepEqual(codes, { 1001: total }, 'close codes the clients saw');
  for (let deadline = performance.now() + 2000; (upstreamCodes[1001] ?? 0) < total && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(upstreamCodes, { 1001: total }, 'close codes the old color\'s app saw');
}
