// router.engine haproxy: a switch whose map commit fails leaves everything as it was. Traffic
// stays on the old color, so nothing may be drained there: its WebSockets (in the daemon's
// relay) keep working past drainTimeout instead of getting a 1001, its plain requests finish,
// and the split in force is still reported. Here the Runtime API's socket is moved away for
// the switch, so HAProxy (which keeps serving) never sees the commit.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { startTestBackend } from '../../../test/support/test-backend.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';
import { openSockets } from '../../../test/support/websocket-client.ts';
import { nextMessage } from '../../../test/support/websocket-switches.ts';

const DRAIN_MS = 300;

test('haproxy engine: a switch whose map commit fails leaves the old color live, its WebSockets open past drainTimeout and its split in force', { timeout: 60_000, skip: haproxySkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hxfail-'));
  const [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
  const plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: DRAIN_MS, listen: { host: '127.0.0.1', port: 0 } });
  const runtimeSocket = join(dir, 'runtime.sock');
  try {
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
    await plane.switchTo('blue');
    await plane.setSplit({ weights: { blue: 100, green: 0 } });
    const splitBefore = plane.stats().split;
    assert.notEqual(splitBefore, null);
    const group = await openSockets(`${plane.address.main.replace('http', 'ws')}/chat`, 2);
    for (const ws of group.sockets) { ws.send('hi'); assert.equal(await nextMessage(ws), 'blue:hi'); }
    const slow = request(`${plane.address.main}/slow?ms=${DRAIN_MS * 3}`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }), (err: Error) => ({ status: 0, body: err.message }));
    await new Promise((r) => setTimeout(r, 100));

    renameSync(runtimeSocket, `${runtimeSocket}.away`);
    try {
      await assert.rejects(plane.switchTo('green'), /not reachable/);
    } finally {
      renameSync(`${runtimeSocket}.away`, runtimeSocket);
    }
    assert.equal(plane.live, 'blue');
    assert.deepEqual(plane.stats().split, splitBefore, 'the split HAProxy still applies is still reported');

    // Past the drain deadline a drain would have had: nothing on blue was cut or sent away.
    await new Promise((r) => setTimeout(r, DRAIN_MS * 2));
    for (const ws of group.sockets) {
      assert.equal(ws.readyState, ws.OPEN, 'a WebSocket on the staying color was closed');
      ws.send('still');
      assert.equal(await nextMessage(ws), 'blue:still');
    }
    assert.deepEqual(await slow, { status: 200, body: 'blue slow\n' }, 'a plain request in flight on the staying color finished');
    const fresh = await openSockets(`${plane.address.main.replace('http', 'ws')}/chat`, 1);
    fresh.sockets[0]!.send('new');
    assert.equal(await nextMessage(fresh.sockets[0]!), 'blue:new', 'a new WebSocket goes to the color that stayed live');
    fresh.close();

    // The next switch that works drains blue as usual: 1001 at the deadline.
    const report = await plane.switchTo('green');
    const drained = await report.drained;
    assert.deepEqual(drained.websockets, { completed: 0, goingAway: 2 });
    assert.deepEqual((await group.closed).map((o) => o.code), [1001, 1001]);
  } finally {
    await plane.close();
    await Promise.all([blue.close(), green.close()]);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
});
