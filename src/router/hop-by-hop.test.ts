import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { downstreamResponseHeaders, upstreamRequestHead } from './hop-by-hop.ts';

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!.toLowerCase(), flat[i + 1]!]);
  return out;
}

describe('upstreamRequestHead', () => {
  test('drops hop-by-hop headers and the ones Connection names, keeps the rest in order', () => {
    const { headers, hasBody } = upstreamRequestHead([
      'Host', 'shop.example',
      'Connection', 'keep-alive, X-Session-Hint',
      'Keep-Alive', 'timeout=5',
      'X-Session-Hint', 'secret',
      'Proxy-Authorization', 'Basic Zm9v',
      'TE', 'trailers',
      'Accept', 'text/html',
      'Expect', '100-continue',
    ], '10.0.0.7', false);
    assert.deepEqual(pairs(headers), [
      ['host', 'shop.example'],
      ['accept', 'text/html'],
      ['x-forwarded-for', '10.0.0.7'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'shop.example'],
    ]);
    assert.equal(hasBody, false);
  });

  test('appends the client to an existing X-Forwarded-For chain and replaces proto/host', () => {
    const { headers } = upstreamRequestHead([
      'X-Forwarded-For', '203.0.113.9',
      'x-forwarded-for', '198.51.100.2',
      'X-Forwarded-Proto', 'https',
      'X-Forwarded-Host', 'spoofed.example',
      'Host', 'a.test:8080',
    ], '::ffff:127.0.0.1', false);
    const map = new Map(pairs(headers));
    assert.equal(map.get('x-forwarded-for'), '203.0.113.9, 198.51.100.2, 127.0.0.1');
    assert.equal(map.get('x-forwarded-proto'), 'http');
    assert.equal(map.get('x-forwarded-host'), 'a.test:8080');
    assert.equal(headers.filter((h) => h.toLowerCase() === 'x-forwarded-host').length, 1);
  });

  test('notices a body from Content-Length or Transfer-Encoding', () => {
    assert.equal(upstreamRequestHead(['Content-Length', '12'], undefined, false).hasBody, true);
    assert.equal(upstreamRequestHead(['Content-Length', '0'], undefined, false).hasBody, false);
    const chunked = upstreamRequestHead(['Transfer-Encoding', 'chunked'], undefined, false);
    assert.equal(chunked.hasBody, true);
    assert.ok(!chunked.headers.some((h) => h.toLowerCase() === 'transfer-encoding'));
  });

  test('keeps the upgrade handshake for WebSockets', () => {
    const { headers } = upstreamRequestHead([
      'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'abc',
    ], '127.0.0.1', true);
    const map = new Map(pairs(headers));
    assert.equal(map.get('connection'), 'Upgrade');
    assert.equal(map.get('upgrade'), 'websocket');
    assert.equal(map.get('sec-websocket-key'), 'abc');
  });
});

describe('downstreamResponseHeaders', () => {
  test('drops hop-by-hop response headers, keeps repeated Set-Cookie', () => {
    const raw = [
      'Content-Type', 'text/plain',
      'Connection', 'keep-alive, X-Backend-Internal',
      'X-Backend-Internal', 'node-3',
      'Transfer-Encoding', 'chunked',
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'Keep-Alive', 'timeout=5',
    ].map((s) => Buffer.from(s, 'latin1'));
    assert.deepEqual(pairs(downstreamResponseHeaders(raw)), [
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });
});
