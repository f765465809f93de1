import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importLines, traceTypeScript } from '../../../test/support/module-trace.ts';
import { CutoverError, EXIT_CODES } from '../../core/errors.ts';
import { AdminClient } from './admin-client.ts';

/** A stand-in daemon on a unix socket that answers every request with `answer`. */
async function fakeDaemon(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-admin-client-'));
  const socket = join(dir, 'admin.sock');
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const client = new AdminClient(socket);
  return {
    client,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

async function failure(work: Promise<unknown>): Promise<CutoverError> {
  const err = await work.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof CutoverError, `expected a CutoverError, got ${String(err)}`);
  return err;
}

describe('admin client', () => {
  test('an answer that is not JSON (a proxy page, a half-written body) is an unreachable daemon, not a crash (exit 1, not 70)', async () => {
    const fake = await fakeDaemon((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>'));
    try {
      const err = await failure(fake.client.call('GET', '/status'));
      assert.equal(err.code, 'unreachable');
      assert.match(err.message, /answered GET \/status \(502\) with a body that is not JSON: "<html>bad gateway/);
    } finally {
      await fake.close();
    }
  });

  test('an error code this cutover does not know keeps the message and exits 1 (neither 0 nor 70)', async () => {
    const fake = await fakeDaemon(json(409, { error: { code: 'from-the-future', message: 'green is busy' } }));
    try {
      const err = await failure(fake.client.call('POST', '/switch', { to: 'green' }));
      assert.equal(err.message, 'green is busy');
      assert.equal(EXIT_CODES[err.code], 1, `code ${err.code} must map to an exit code (it mapped to none before: exit 0)`);
    } finally {
      await fake.close();
    }
  });

  test('a 400 names the request and keeps the field the daemon named', async () => {
    const fake = await fakeDaemon(json(400, { error: { code: 'usage', message: 'switch: to: Invalid enum value' } }));
    try {
      const err = await failure(fake.client.send('POST /switch', { body: { to: 'green' } }));
      assert.equal(err.code, 'usage');
      assert.equal(err.message, 'the cutover daemon rejected POST /switch: switch: to: Invalid enum value');
    } finally {
      await fake.close();
    }
  });

  test('an answer of another shape than the protocol says is refused naming the field', async () => {
    const status = {
      pid: 1, workerPid: 1, restart: null, restored: false, restore: null, notes: [], live: 'blue',
      addresses: { main: 'http://127.0.0.1:1' }, maintenance: { on: false }, routerSplit: null, split: null,
      colors: { blue: { version: 'r1', desired: 1, ready: '1', crashLooping: false, replicas: [] }, green: { version: null, desired: 0, ready: 0, crashLooping: false, replicas: [] } },
    };
    const fake = await fakeDaemon(json(200, status));
    try {
      const err = await failure(fake.client.send('GET /status'));
      assert.equal(err.code, 'unreachable');
      assert.match(err.message, /answer to GET \/status is not what this cutover expects \(colors\.blue\.ready: expected a number, found "1"\); if the daemon runs another cutover version, restart it with `cutover up`/);
    } finally {
      await fake.close();
    }
  });

  test('the counters answer must carry one latency count per bound plus +Inf', async () => {
    const listener = { requests: { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 }, inFlight: 0, upstreamErrors: 0, oldestInFlightSeconds: 0, latency: [1, 1], latencySumSeconds: 0.1 };
    const color = { main: listener, preview: listener };
    const fake = await fakeDaemon(json(200, { latencyBoundsSeconds: [0.1, 1], colors: { blue: color, green: color } }));
    try {
      const err = await failure(fake.client.send('GET /counters'));
      assert.match(err.message, /colors\.blue\.main\.latency: expected one count per bound plus \+Inf/);
    } finally {
      await fake.close();
    }
  });

  test('path parameters and queries are built from the route', async () => {
    const seen: string[] = [];
    const fake = await fakeDaemon((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ events: [], cursor: 5, desired: 1, ready: 1 }));
    });
    try {
      const page = await fake.client.send('GET /colors/:color/events', { color: 'green', query: { since: 5, wait: 0 } });
      assert.deepEqual(page, { events: [], cursor: 5, desired: 1, ready: 1 });
      assert.deepEqual(seen, ['GET /colors/green/events?since=5&wait=0']);
    } finally {
      await fake.close();
    }
  });
});

/**
 * `cutover status` goes through this client; zod there costs about 50 ms of CPU per command.
 * The response checks are hand-written for that reason, and the protocol's request types are
 * inferred from the daemon's schemas without importing them: this proves neither loads zod.
 */
test("the client's side of the protocol (driver, client, protocol) loads no zod", async () => {
  const modules = ['./local-driver.ts', './admin-client.ts', './admin-protocol.ts'].map((m) => new URL(m, import.meta.url).href);
  const run = await traceTypeScript(importLines(modules));
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.modules.some((url) => url.endsWith('/src/drivers/local/admin-protocol.ts')), 'the trace sees the sources');
  assert.deepEqual(run.modules.filter((url) => /\/node_modules\/zod\//.test(url)), []);
});
