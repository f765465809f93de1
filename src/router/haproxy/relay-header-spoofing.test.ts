// router.engine haproxy: `x-cutover-relay` (RELAY_HEADER) is how HAProxy tells the daemon's relay
// where a WebSocket or event stream goes. It is cutover's own: a client that sends one must
// neither reach the app with it nor steer the relay to another listener or color.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { RELAY_HEADER } from './long-lived-relay.ts';
import { startTestBackend, type TestBackend } from '../../../test/support/test-backend.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';
import { nextMessage } from '../../../test/support/websocket-switches.ts';

const loopback = { host: '127.0.0.1', port: 0 };

interface SeenHead { headers: Record<string, string | undefined>; rawHeaders: string[] }

describe('haproxy engine: a client-sent x-cutover-relay header', { skip: haproxySkip() }, () => {
  let blue: TestBackend;
  let green: TestBackend;
  let plane: HaproxyDataPlane;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-hxrelay-'));
    [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
    plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: 300, listen: loopback, preview: loopback });
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
    await plane.switchTo('blue');
    await plane.setPreview('green');
  });

  after(async () => {
    await plane.close();
    await Promise.all([blue.close(), green.close()]);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const relayNames = (seen: SeenHead) => seen.rawHeaders.filter((v, i) => i % 2 === 0 && v.toLowerCase() === RELAY_HEADER);

  test('never reaches the app on a plain request, on either listener', async () => {
    for (const [url, color] of [[plane.address.main, 'blue'], [plane.address.preview!, 'green']] as const) {
      const r = await request(`${url}/headers`, { headers: { [RELAY_HEADER]: 'preview green', 'X-Cutover-Relay': 'main green' } });
      assert.equal(r.headers['x-cutover-color'], color);
      const seen = await r.body.json() as SeenHead;
      assert.deepEqual(relayNames(seen), [], `the app behind ${color} saw ${JSON.stringify(seen.headers[RELAY_HEADER])}`);
    }
  });

  test('neither steers an event stream to another color nor reaches the app with it', async () => {
    const r = await request(`${plane.address.main}/headers`, { headers: { accept: 'text/event-stream', [RELAY_HEADER]: 'preview green' } });
    assert.equal(r.headers['x-cutover-color'], 'blue', 'the main listener\'s live color, as HAProxy routed it');
    assert.deepEqual(relayNames(await r.body.json() as SeenHead), []);
  });

  test('does not steer a WebSocket to another color, nor reach the app with it', async () => {
    const arrivals = blue.arrivals.length;
    const ws = new WebSocket(`${plane.address.main.replace('http', 'ws')}/chat`, { headers: { [RELAY_HEADER]: 'preview green' } });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.send('hi');
    assert.equal(await nextMessage(ws), 'blue:hi');
    ws.close();
    const upgrade = blue.arrivals.slice(arrivals).find((a) => a.path === '/chat');
    assert.ok(upgrade, 'the upgrade reached blue');
    assert.deepEqual(upgrade.rawHeaders.filter((v, i) => i % 2 === 0 && v.toLowerCase() === RELAY_HEADER), []);
  });
});
