import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDataPlane } from '../drivers/local/start-data-plane.ts';
import type { RouterEngine } from '../drivers/local/data-plane.ts';
import { startTestBackend } from '../../test/support/test-backend.ts';
import { haproxySkip } from '../../test/support/haproxy.ts';
import { isProbeToken, newProbeToken } from './probe-token.ts';

async function get(url: string, headers: Record<string, string>) {
  const r = await request(url, { headers });
  return { status: r.statusCode, servedBy: r.headers['x-cutover-served-by'], body: await r.body.text() };
}

test('a probe token is 256 random bits in hex, and never the same twice', () => {
  const a = newProbeToken();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.ok(isProbeToken(a));
  assert.notEqual(a, newProbeToken());
  assert.equal(isProbeToken('1'), false);
  assert.equal(isProbeToken(a.toUpperCase()), false);
});

/**
 * Given a data plane whose control plane holds the probe token,
 * when a client sends `x-cutover-probe` with anything but that token,
 * then it learns nothing of which color served it, and the app never sees the header;
 * cutover's own probe (the token) still gets the color, and the app does not see it either.
 */
for (const engine of ['node', 'haproxy'] as const satisfies readonly RouterEngine[]) {
  test(`only the control plane's probes learn the serving color (router.engine ${engine})`, { timeout: 60_000, skip: engine === 'haproxy' && haproxySkip() }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-probe-token-'));
    const blue = await startTestBackend('blue');
    const token = newProbeToken();
    const plane = await startDataPlane({
      engine, workDir: dir, drainTimeoutMs: 500, probeToken: token,
      listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 },
    });
    try {
      await plane.setUpstreams('blue', [blue.url]);
      await plane.switchTo('blue');
      await plane.setPreview('blue');
      const sameLengthWrong = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
      const spoofs = ['1', '', sameLengthWrong, token.slice(0, 32), `${token}0`, token.toUpperCase()];
      for (const listener of [plane.address.main, plane.address.preview!]) {
        for (const value of spoofs) {
          const answer = await get(`${listener}/headers`, { 'x-cutover-probe': value });
          assert.equal(answer.status, 200);
          assert.equal(answer.servedBy, undefined, `a client sending x-cutover-probe: ${JSON.stringify(value)} on ${listener} learned the color`);
          assert.equal(JSON.parse(answer.body).headers['x-cutover-probe'], undefined, `the app got x-cutover-probe: ${JSON.stringify(value)}`);
        }
        const own = await get(`${listener}/headers`, { 'x-cutover-probe': token });
        assert.equal(own.servedBy, 'blue', `the control plane's probe on ${listener} is told the color`);
        assert.equal(JSON.parse(own.body).headers['x-cutover-probe'], undefined, 'the app never sees the token');
      }
      assert.equal((await get(`${plane.address.main}/headers`, {})).servedBy, undefined, 'no header, no color');
    } finally {
      await plane.close();
      await blue.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
