import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runTcpCheck } from './tcp-check.ts';
import { closedPort, startServer } from '../../test/support/check-test-server.ts';
import type { TcpCheckSpec } from './types.ts';

const connect: TcpCheckSpec = { kind: 'tcp', name: 'TCP connect', port: null, timeoutMs: 1_000 };

describe('TCP check', () => {
  test('an open port passes', async () => {
    const server = await startServer((_req, res) => res.end());
    try {
      const result = await runTcpCheck(connect, { name: 'blue-0', url: server.url });
      assert.equal(result.ok, true);
      assert.equal(result.check, 'TCP connect');
    } finally {
      await server.close();
    }
  });

  test('a closed port fails with connection refused', async () => {
    const port = await closedPort();
    const result = await runTcpCheck(connect, { name: 'blue-0', url: `http://127.0.0.1:${port}` });
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'connection refused');
  });

  test('an explicit port is used instead of the target\'s own, and named in the reason', async () => {
    const server = await startServer((_req, res) => res.end());
    const port = await closedPort();
    try {
      const open = await runTcpCheck({ ...connect, name: `TCP :${server.port}`, port: server.port },
        { name: 'blue-0', url: `http://127.0.0.1:${port}` });
      assert.equal(open.ok, true);
      const closed = await runTcpCheck({ ...connect, name: `TCP :${port}`, port },
        { name: 'blue-0', url: server.url });
      assert.equal(closed.reason, `port ${port}: connection refused`);
    } finally {
      await server.close();
    }
  });

  test('an aborted signal stops the check', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runTcpCheck(connect, { name: 'x', url: 'http://127.0.0.1:1' }, { signal: controller.signal });
    assert.equal(result.ok, false);
    assert.match(result.reason!, /^stopped after/);
  });
});
