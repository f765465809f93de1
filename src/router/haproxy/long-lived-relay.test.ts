import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LongLivedRelay, RELAY_HEADER } from './long-lived-relay.ts';
import { startTestBackend, type TestBackend } from '../../../test/support/test-backend.ts';

const POOL = { connections: 16, headersTimeoutMs: 5_000, bodyTimeoutMs: 0 };

/** Sends one raw HTTP/1.1 request head on the relay's socket, as HAProxy would, and returns the answer's status line. */
function statusLineOf(socketPath: string, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      const end = seen.indexOf('\r\n');
      if (end !== -1) { socket.destroy(); resolve(seen.slice(0, end)); }
    });
    socket.on('error', reject);
    socket.write(head);
  });
}

function upgradeHead(route: string): string {
  return `GET /chat HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${RELAY_HEADER}: ${route}\r\n\r\n`;
}

describe('long-lived relay', () => {
  let dir: string;
  let blue: TestBackend;
  let green: TestBackend;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-relay-'));
    [blue, green] = await Promise.all([startTestBackend('blue'), startTestBackend('green')]);
  });
  after(async () => {
    await Promise.all([blue.close(), green.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an upgrade HAProxy routed to the old color just before a switch reaches the relay after it: it goes to the new color, not outside the drain', async () => {
    const relay = await LongLivedRelay.listen(dir, POOL, 200);
    try {
      relay.setUpstreams('blue', [blue.url]);
      relay.setUpstreams('green', [green.url]);
      const before = { blue: blue.arrivals.length, green: green.arrivals.length };
      assert.match(await statusLineOf(relay.socketPath, upgradeHead('main blue')), / 101 /);
      void relay.switchTo('green');
      assert.match(await statusLineOf(relay.socketPath, upgradeHead('main blue')), / 101 /);
      assert.equal(blue.arrivals.length - before.blue, 1, 'only the upgrade before the switch reached blue');
      assert.equal(green.arrivals.length - before.green, 1);
      // A split that makes blue the canary again: HAProxy's choice is followed once more.
      relay.serving('blue');
      assert.match(await statusLineOf(relay.socketPath, upgradeHead('main blue')), / 101 /);
      assert.equal(blue.arrivals.length - before.blue, 2);
    } finally {
      await relay.close();
    }
  });

  test('a request without HAProxy\'s routing header is refused (421); one with no color gets 503', async () => {
    const relay = await LongLivedRelay.listen(dir, POOL, 200);
    try {
      assert.match(await statusLineOf(relay.socketPath, 'GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n'), / 421 /);
      assert.match(await statusLineOf(relay.socketPath, `GET /events HTTP/1.1\r\nHost: x\r\n${RELAY_HEADER}: main none\r\n\r\n`), / 503 /);
      assert.match(await statusLineOf(relay.socketPath, upgradeHead('preview none')), / 503 /);
    } finally {
      await relay.close();
    }
  });

  test('a daemon taking over from one whose relay still listens takes the other socket; after a crash it takes the same one again', async () => {
    const first = await LongLivedRelay.listen(dir, POOL, 200);
    const second = await LongLivedRelay.listen(dir, POOL, 200, first.socketPath);
    assert.notEqual(second.socketPath, first.socketPath, 'the predecessor still listens');
    await first.close();
    const path = second.socketPath;
    await second.close();
    // Closed (or crashed): nothing listens there any more, so the same path is taken again.
    const third = await LongLivedRelay.listen(dir, POOL, 200, path);
    assert.equal(third.socketPath, path);
    await third.close();
  });
});
