import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { downstreamResponseHeaders, mayBeSpecial, upstreamRequestHead } from './hop-by-hop.ts';

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
      ['x-real-ip', '10.0.0.7'],
      ['forwarded', 'for=10.0.0.7;host=shop.example;proto=http'],
    ]);
    assert.equal(hasBody, false);
  });

  test('forwardedAsSent (HAProxy relaying to the daemon): the forwarded headers go on as they came, with no hop for the peer', () => {
    const { headers } = upstreamRequestHead([
      'Host', 'shop.example',
      'Connection', 'Upgrade',
      'Upgrade', 'websocket',
      'X-Forwarded-For', '203.0.113.9',
      'X-Forwarded-Proto', 'http',
      'X-Forwarded-Host', 'shop.example',
      'X-Real-IP', '203.0.113.9',
      'Forwarded', 'for=203.0.113.9;host=shop.example;proto=http',
    ], undefined, true, { forwardedAsSent: true });
    assert.deepEqual(pairs(headers), [
      ['host', 'shop.example'],
      ['x-forwarded-for', '203.0.113.9'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'shop.example'],
      ['x-real-ip', '203.0.113.9'],
      ['forwarded', 'for=203.0.113.9;host=shop.example;proto=http'],
      ['connection', 'Upgrade'],
      ['upgrade', 'websocket'],
    ]);
  });

  const spoofed = [
    'X-Forwarded-For', '203.0.113.9',
    'x-forwarded-for', '198.51.100.2',
    'X-Forwarded-Proto', 'https',
    'X-Forwarded-Host', 'spoofed.example',
    'Forwarded', 'for=203.0.113.9;proto=https',
    'X-Real-IP', '203.0.113.9',
    'Host', 'a.test:8080',
  ];

  test('from an untrusted peer, every forwarded header is replaced with what the router saw', () => {
    const { headers } = upstreamRequestHead(spoofed, '::ffff:127.0.0.1', false);
    const map = new Map(pairs(headers));
    assert.equal(map.get('x-forwarded-for'), '127.0.0.1');
    assert.equal(map.get('x-forwarded-proto'), 'http');
    assert.equal(map.get('x-forwarded-host'), 'a.test:8080');
    assert.equal(map.get('x-real-ip'), '127.0.0.1');
    assert.equal(map.get('forwarded'), 'for=127.0.0.1;host="a.test:8080";proto=http');
    for (const name of ['x-forwarded-for', 'x-forwarded-host', 'forwarded', 'x-real-ip']) {
      assert.equal(headers.filter((h) => h.toLowerCase() === name).length, 1, name);
    }
  });

  test('from a trusted proxy, the chain is appended to and its proto, host and real IP are kept', () => {
    const { headers } = upstreamRequestHead(spoofed, '::1', false, { trustedPeer: true });
    const map = new Map(pairs(headers));
    assert.equal(map.get('x-forwarded-for'), '203.0.113.9, 198.51.100.2, ::1');
    assert.equal(map.get('x-forwarded-proto'), 'https');
    assert.equal(map.get('x-forwarded-host'), 'spoofed.example');
    assert.equal(map.get('x-real-ip'), '203.0.113.9');
    assert.equal(map.get('forwarded'), 'for=203.0.113.9;proto=https, for="[::1]";host="a.test:8080";proto=http');
  });

  test('Connection: close, Host does not strip Host', () => {
    const { headers } = upstreamRequestHead(['Host', 'shop.example', 'Connection', 'close, Host'], '10.0.0.7', false);
    assert.equal(new Map(pairs(headers)).get('host'), 'shop.example');
  });

  test('a request without Host gets the default host; an absolute-form target replaces it', () => {
    assert.equal(new Map(pairs(upstreamRequestHead([], '10.0.0.7', false, { defaultHost: '127.0.0.1:8080' }).headers)).get('host'), '127.0.0.1:8080');
    const absolute = new Map(pairs(upstreamRequestHead(['Host', 'other.example'], '10.0.0.7', false, { hostOverride: 'shop.example' }).headers));
    assert.equal(absolute.get('host'), 'shop.example');
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

describe('the fast path for ordinary header names', () => {
  test('every name the rewriting treats specially is let through to it, in any letter case', () => {
    const special = ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-', 'proxy-connection',
      'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-cutover-probe', 'forwarded', 'expect', 'host', 'content-length'];
    fc.assert(fc.property(fc.constantFrom(...special), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), (name, upper) => {
      const cased = [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
      assert.ok(mayBeSpecial(cased.charCodeAt(0), cased.length), cased);
      assert.ok(mayBeSpecial(Buffer.from(cased)[0]!, cased.length), cased);
    }));
  });

  test('a probe header is read without building a header object, and never sent on', () => {
    const probed = upstreamRequestHead(['Host', 'a', 'X-Cutover-Probe', 'tok', 'x-cutover-probe', 'second'], '127.0.0.1', false);
    assert.equal(probed.probe, 'tok');
    assert.ok(!probed.headers.some((h) => h.toLowerCase() === 'x-cutover-probe'), 'the probe header is not sent upstream');
    assert.equal(upstreamRequestHead(['Host', 'a'], '127.0.0.1', false).probe, null);
  });
});
