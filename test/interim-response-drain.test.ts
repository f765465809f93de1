// A request still waiting for its final response at drainTimeout gets the router's 504, also
// when the app had already sent an interim response (103 Early Hints, 102 Processing) and the
// request came on a reused keep-alive connection: the case where HAProxy by itself closes the
// client connection with no answer at all (drain-cut.ts). Same test on both engines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDataPlane } from '../src/drivers/local/start-data-plane.ts';
import type { DataPlane } from '../src/drivers/local/data-plane.ts';
import { haproxySkip } from './support/haproxy.ts';
import { KeepAliveConnection } from './support/keep-alive-connection.ts';
import { startTestBackend, type TestBackend } from './support/test-backend.ts';

const DRAIN_MS = 600;

/**
 * `/hints` sends 103 Early Hints, `/processing` 102 Processing, then neither ever answers;
 * `/hints-then-ok` answers 200 100 ms after its 103, `/hints-and-ok` at once; anything else is a quick 200.
 */
async function startInterimApp(): Promise<{ url: string; close(): Promise<void> }> {
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url === '/hints') res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
    else if (req.url === '/processing') res.writeProcessing();
    else if (req.url === '/hints-then-ok') {
      res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
      return void setTimeout(() => res.end('blue late ok\n'), 100);
    } else if (req.url === '/hints-and-ok') {
      res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
      return void res.end('blue ok at once\n');
    } else return void res.end('blue ok\n');
    hanging.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const pick = (r: { status: number; body: string }) => ({ status: r.status, body: r.body });

for (const engine of ['node', 'haproxy'] as const) describe(`an interim response, then a cut at drainTimeout (router.engine ${engine})`, { skip: engine === 'haproxy' && haproxySkip() }, () => {
  let blue: Awaited<ReturnType<typeof startInterimApp>>;
  let green: TestBackend;
  let plane: DataPlane;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-interim-'));
    blue = await startInterimApp();
    green = await startTestBackend('green');
    plane = await startDataPlane({ engine, workDir: dir, drainTimeoutMs: DRAIN_MS, listen: { host: '127.0.0.1', port: 0 } });
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
  });

  after(async () => {
    await plane.close();
    await Promise.all([blue.close(), green.close()]);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  test('a live color\'s answer after an interim response still arrives, late or at once, on a reused connection', { timeout: 30_000 }, async () => {
    await plane.switchTo('blue');
    const conn = await KeepAliveConnection.open(plane.address.main);
    try {
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(pick(await conn.get('/hints-then-ok')), { status: 200, body: 'blue late ok\n' });
        assert.deepEqual(pick(await conn.get('/hints-and-ok')), { status: 200, body: 'blue ok at once\n' });
      }
    } finally {
      conn.close();
    }
  });

  for (const [path, interim] of [['/hints', 103], ['/processing', 102]] as const) {
    for (const reused of [false, true]) {
      test(`after a ${interim} on a ${reused ? 'reused' : 'new'} keep-alive connection: 504 at the deadline`, { timeout: 30_000 }, async () => {
        await plane.switchTo('blue');
        const conn = await KeepAliveConnection.open(plane.address.main);
        try {
          if (reused) assert.equal((await conn.get('/')).status, 200, 'a quick first request');
          const answer = conn.get(path, 10_000).catch((err: Error) => err);
          await new Promise((r) => setTimeout(r, 200));
          const started = performance.now();
          const report = await plane.switchTo('green');
          assert.equal((await report.drained).timedOut, 1);
          const response = await answer;
          assert.ok(!(response instanceof Error), `an answer, not: ${response instanceof Error ? response.message : ''}`);
          assert.equal(response.status, 504);
          assert.match(response.body, /blue was switched away from and did not answer within the 600 ms drain timeout/);
          assert.ok(performance.now() - started < DRAIN_MS + 2_000, 'answered at the drain deadline');
        } finally {
          conn.close();
        }
      });
    }
  }
});
