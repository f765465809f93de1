import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';

const loopback = { host: '127.0.0.1', port: 0 };

/** Blocks this thread, as a host at load 20 keeps a process off the CPU; sleeps rather than spins. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One client keep-alive connection, read by hand so the test decides exactly when each request is written. */
class RawConnection {
  readonly socket: Socket;
  #buffer = '';
  #error: Error | null = null;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => { this.#buffer += chunk.toString('latin1'); this.#wake(); });
    socket.on('error', (err) => { this.#error = err; this.#wake(); });
    socket.on('close', () => this.#wake());
  }

  static open(base: string): Promise<RawConnection> {
    const url = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The next complete response (with a content-length body), or the error that ended the connection. */
  async response(): Promise<{ head: string; body: string } | { error: string }> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.#buffer.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.#buffer.length >= end + 4 + length) {
          const body = this.#buffer.slice(end + 4, end + 4 + length);
          this.#buffer = this.#buffer.slice(end + 4 + length);
          return { head, body };
        }
      }
      if (this.#error) return { error: (this.#error as NodeJS.ErrnoException).code ?? this.#error.message };
      if (this.socket.destroyed || this.socket.readableEnded) return { error: 'closed by the router' };
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }
}

describe('router: idle client connections', () => {
  let backend: TestBackend;
  before(async () => { backend = await startTestBackend('blue'); });
  after(async () => { await backend.close(); });

  test('a request sent within the advertised keep-alive timeout is answered even when the router runs seconds late', { timeout: 30_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 1_000 });
    router.setUpstreams('blue', [backend.url]);
    router.switchTo('blue');
    const connection = await RawConnection.open(router.address.main);
    try {
      connection.socket.write('GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n');
      const first = await connection.response();
      assert.ok('head' in first, `first answer: ${JSON.stringify(first)}`);
      const advertised = Number(/keep-alive: *timeout=(\d+)/i.exec(first.head)?.[1]) * 1000;
      assert.ok(advertised > 0, `the router advertises its keep-alive timeout: ${first.head}`);
      const readAt = performance.now();

      // Half a second before the advertised timeout, as a client that honours it may, the next
      // request goes out, and then the router's process gets no CPU for 2 s (as at load 20).
      // When it runs again its close timer is due before it has read the request.
      await new Promise((r) => setTimeout(r, advertised - 500));
      await new Promise<void>((resolve) => setImmediate(() => {
        connection.socket.write('GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n');
        stall(advertised + 1_500 - (performance.now() - readAt));
        resolve();
      }));
      const second = await connection.response();
      assert.ok('head' in second, `the request sent within the advertised ${advertised} ms got no answer: ${JSON.stringify(second)}`);
      assert.match(second.head, /^HTTP\/1\.1 200/);
    } finally {
      connection.socket.destroy();
      await router.close();
    }
  });

  test('an idle connection is closed once the router is retiring, at the advertised timeout', { timeout: 30_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 20_000 });
    router.setUpstreams('blue', [backend.url]);
    router.switchTo('blue');
    const connection = await RawConnection.open(router.address.main);
    connection.socket.write('GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n');
    assert.ok('head' in (await connection.response()));
    const started = performance.now();
    const report = await router.retire();
    assert.equal(report.drained, true, 'the idle connection ended on its own, before the drain timeout');
    assert.ok(performance.now() - started < 10_000, `retire took ${Math.round(performance.now() - started)} ms`);
    connection.socket.destroy();
  });
});

describe('router: a reset on a reused upstream connection', () => {
  let upstream: TcpServer;
  let connections = 0;
  before(async () => {
    // A replica that answers the first request on each connection with keep-alive, and
    // closes the connection (RST) when a second request arrives on it: the replica's own idle
    // close racing the router's reuse.
    upstream = createTcpServer((socket) => {
      connections++;
      let requests = 0;
      let seen = '';
      socket.on('data', (chunk) => {
        seen += chunk.toString('latin1');
        while (seen.includes('\r\n\r\n')) {
          seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
          if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nKeep-Alive: timeout=60\r\n\r\nok\n');
          else socket.resetAndDestroy();
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => { upstream.close(); });

  test('an idempotent request is sent again, on a new connection, even to a color with one replica', async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 1_000 });
    router.setUpstreams('blue', [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
    router.switchTo('blue');
    try {
      const first = await fetch(`${router.address.main}/a`);
      assert.equal(first.status, 200);
      await first.text();
      const before = connections;
      const second = await fetch(`${router.address.main}/b`);
      assert.equal(second.status, 200, await second.clone().text());
      assert.equal(await second.text(), 'ok\n');
      assert.equal(connections, before + 1, 'the second attempt went over a new connection');
    } finally {
      await router.close();
    }
  });
});

describe('router: an upstream that sends no Keep-Alive header and closes idle connections after 2 s', () => {
  let upstream: TcpServer;
  let connections = 0;
  before(async () => {
    // Like gunicorn's default (keepalive 2, no Keep-Alive header in its answers). Its idle close
    // racing a request the router sends on the connection at that moment is modelled as: a
    // request that arrives on a connection idle for 2 s or more is answered with a reset.
    upstream = createTcpServer((socket) => {
      connections++;
      let idleSince = performance.now();
      let seen = '';
      socket.on('data', (chunk) => {
        if (performance.now() - idleSince >= 2_000) {
          socket.resetAndDestroy();
          return;
        }
        seen += chunk.toString('latin1');
        const end = seen.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(seen.slice(0, end))?.[1] ?? 0);
        if (seen.length < end + 4 + length) return;
        seen = seen.slice(end + 4 + length);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
        idleSince = performance.now();
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => { upstream.close(); });

  test('a POST after 2.5 s of quiet goes over a new connection instead of getting a 502', { timeout: 20_000 }, async () => {
    const router = await Router.start({ listen: loopback, drainTimeoutMs: 1_000 });
    router.setUpstreams('blue', [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
    router.switchTo('blue');
    try {
      const first = await fetch(`${router.address.main}/orders`, { method: 'POST', body: 'a=1' });
      assert.equal(first.status, 200);
      await first.text();
      await new Promise((r) => setTimeout(r, 2_500));
      const before = connections;
      const second = await fetch(`${router.address.main}/orders`, { method: 'POST', body: 'a=2' });
      assert.equal(second.status, 200, `the POST got ${second.status}: ${await second.clone().text()}`);
      assert.equal(await second.text(), 'ok\n');
      assert.equal(connections, before + 1, 'the POST went over a new connection');
    } finally {
      await router.close();
    }
  });
});
