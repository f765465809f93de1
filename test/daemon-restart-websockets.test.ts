// A daemon restart (or upgrade) hands the listeners to a new daemon process; WebSockets that
// the old one relays cannot follow, so each must get a 1001 close frame (going away) and the
// client's reconnect reach the new daemon, rather than being cut (1006).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { explain } from './support/cli-runner.ts';
import { haproxySkip } from './support/haproxy.ts';
import { webSocketAppSource } from './support/websocket-app.ts';
import { openSockets } from './support/websocket-client.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

const RESTARTS = 5;
const SOCKETS = 4;

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5000);
    ws.once('message', (data) => { clearTimeout(timer); resolve(data.toString()); });
  });
}

// On engine haproxy the daemon relays WebSockets too (long-lived-relay.ts): HAProxy keeps the
// listeners, is reloaded onto the new daemon's relay, and the old daemon's relay sends the 1001s.
for (const engine of ['node', 'haproxy'] as const) describe(`WebSockets across daemon restarts (engine ${engine})`, { skip: engine === 'haproxy' ? haproxySkip() : false }, () => {
  let ws: ScenarioWorkspace;
  let main: string;
  let closesLog: string;
  before(async () => {
    ws = ScenarioWorkspace.create({ engine });
    closesLog = join(ws.dir, 'ws-closes.log');
    appendFileSync(closesLog, '');
    mkdirSync(join(ws.dir, 'releases', 'ws1'), { recursive: true });
    writeFileSync(join(ws.dir, 'releases', 'ws1', 'server.js'), webSocketAppSource(closesLog));
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'ws1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  test(`across ${RESTARTS} restarts every open WebSocket gets a 1001 close frame, on both sides, and reconnects to the new daemon`, { timeout: 180_000 }, async () => {
    const url = `${main.replace('http', 'ws')}/chat`;
    const codes: Record<number, number> = {};
    for (let i = 0; i < RESTARTS; i++) {
      const group = await openSockets(url, SOCKETS);
      for (const socket of group.sockets) {
        socket.send(`hello ${i}`);
        assert.equal(await nextMessage(socket), `blue:hello ${i}`);
      }
      const r = await ws.cli(['up']);
      assert.equal(r.code, 0, `restart ${i}: ${explain(r)}`);
      for (const o of await group.closed) codes[o.code ?? -1] = (codes[o.code ?? -1] ?? 0) + 1;

      const again = await openSockets(url, 1);
      again.sockets[0]!.send('again');
      assert.equal(await nextMessage(again.sockets[0]!), 'blue:again', `restart ${i}: the reconnect got no echo`);
      again.close();
      await again.closed;
    }
    assert.deepEqual(codes, { 1001: RESTARTS * SOCKETS }, 'close codes the clients saw');
    const appCodes: Record<string, number> = {};
    for (let deadline = Date.now() + 3000; ; await new Promise((r) => setTimeout(r, 50))) {
      for (const key of Object.keys(appCodes)) delete appCodes[key];
      for (const line of readFileSync(closesLog, 'utf8').split('\n').filter(Boolean)) appCodes[line] = (appCodes[line] ?? 0) + 1;
      // Both kinds are awaited: the app logs the last reconnect's 1000 a moment after the client
      // sees its close (seen in CI: 4 of 5 logged when the 1001s were all in).
      const allIn = (appCodes['1001'] ?? 0) >= RESTARTS * SOCKETS && (appCodes['1000'] ?? 0) >= RESTARTS;
      if (allIn || Date.now() > deadline) break;
    }
    // The reconnects were closed by their clients (1000); every socket open at a restart saw 1001.
    assert.deepEqual(appCodes, { 1000: RESTARTS, 1001: RESTARTS * SOCKETS }, 'close codes the app saw');
  });
});
