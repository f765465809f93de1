import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { portsExposedBeyondLoopback } from './listen-scope.ts';

function listen(host: string): Promise<Server> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

test('a port bound on every interface is reported, one bound on loopback is not', { skip: process.platform !== 'linux' ? 'reads /proc/net/tcp (Linux only)' : false }, async () => {
  const everywhere = await listen('0.0.0.0');
  const loopback = await listen('127.0.0.1');
  try {
    const wide = (everywhere.address() as AddressInfo).port;
    const narrow = (loopback.address() as AddressInfo).port;
    const exposed = portsExposedBeyondLoopback([wide, narrow]);
    assert.deepEqual(exposed, [{ port: wide, address: '0.0.0.0' }]);
  } finally {
    everywhere.close();
    loopback.close();
  }
});
