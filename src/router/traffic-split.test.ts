import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { isCutoverError } from '../core/errors.ts';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { readCookie } from './traffic-split.ts';

describe('router: weighted split and cohorts', () => {
  let blue: TestBackend;
  let green: TestBackend;
  let router: Router;
  let client: Pool;

  /** Sends `n` GETs, 16 at a time; returns how many each color served and the Set-Cookie values seen. */
  async function send(n: number, headers: Record<string, string> = {}): Promise<{ colors: Record<string, number>; cookies: string[] }> {
    const colors: Record<string, number> = {};
    const cookies: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const res = await client.request({ path: '/', method: 'GET', headers });
        await res.body.dump();
        const color = String(res.headers['x-cutover-color']);
        colors[color] = (colors[color] ?? 0) + 1;
        const set = res.headers['set-cookie'];
        if (set !== undefined) cookies.push(...(Array.isArray(set) ? set : [set]));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return { colors, cookies };
  }

  before(async () => {
    blue = await startTestBackend('blue');
    green = await startTestBackend('green');
    router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 500 });
    router.setUpstreams('blue', [blue.url]);
    router.setUpstreams('green', [green.url]);
    router.switchTo('blue');
    client = new Pool(router.address.main, { connections: 16 });
  });

  after(async () => {
    await client.close();
    await router.close();
    await Promise.all([blue.close(), green.close()]);
  });

  test('weights divide new clients in about the right proportion', async () => {
    router.setSplit({ weights: { blue: 80, green: 20 } });
    const { colors, cookies } = await send(2000);
    const share = (colors['green'] ?? 0) / 2000;
    assert.ok(share > 0.16 && share < 0.24, `green got ${(share * 100).toFixed(1)}% of 2000, expected about 20%`);
    assert.equal(cookies.length, 2000, 'every client without a bucket gets one');
    assert.match(cookies[0]!, /^cutover_split=\d+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    assert.deepEqual(router.stats().split, { weights: { blue: 80, green: 20 }, canary: 'green', canaryShare: 0.2 });
  });

  test('a client keeps its color through its cookie, and stays on the canary as its weight grows', async () => {
    router.setSplit({ weights: { blue: 80, green: 20 } });
    const { cookies } = await send(200);
    const pairs = cookies.map((c) => c.split(';')[0]!);
    const greenCookie = pairs.find((p) => Number(p.split('=')[1]) < 2000)!;
    const blueCookie = pairs.find((p) => Number(p.split('=')[1]) >= 2000)!;
    assert.deepEqual((await send(40, { cookie: `theme=dark; ${greenCookie}` })).colors, { green: 40 });
    const again = await send(40, { cookie: blueCookie });
    assert.deepEqual(again.colors, { blue: 40 });
    assert.equal(again.cookies.length, 0, 'a client that has a bucket is not given a new one');

    router.setSplit({ weights: { blue: 50, green: 50 } });
    assert.deepEqual((await send(20, { cookie: greenCookie })).colors, { green: 20 });
  });

  test('a sticky header is hashed: the same value always lands on the same color', async () => {
    router.setSplit({ weights: { blue: 50, green: 50 }, stickyHeader: 'X-User-Id' });
    const seen = new Set<string>();
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
      const { colors, cookies } = await send(12, { 'x-user-id': user });
      assert.equal(Object.keys(colors).length, 1, `${user} flipped between colors: ${JSON.stringify(colors)}`);
      assert.equal(cookies.length, 0, 'header stickiness sets no cookie');
      seen.add(Object.keys(colors)[0]!);
    }
    assert.equal(seen.size, 2, 'eight users at 50/50 should not all land on one color');
  });

  test('cohorts go to the canary whatever the weights say', async () => {
    router.setSplit({
      weights: { blue: 100, green: 0 },
      cohort: { header: { name: 'X-Beta', values: ['yes'] }, cookie: { name: 'tester', values: ['qa', 'staff'] } },
    });
    assert.deepEqual((await send(30)).colors, { blue: 30 });
    assert.deepEqual((await send(30, { 'x-beta': 'yes' })).colors, { green: 30 });
    assert.deepEqual((await send(30, { 'x-beta': 'no' })).colors, { blue: 30 });
    assert.deepEqual((await send(30, { cookie: 'a=b; tester=staff' })).colors, { green: 30 });
  });

  test('clearSplit and switchTo return everything to one color', async () => {
    router.setSplit({ weights: { blue: 50, green: 50 } });
    router.clearSplit();
    assert.deepEqual((await send(50)).colors, { blue: 50 });
    router.setSplit({ weights: { blue: 50, green: 50 } });
    router.switchTo('green');
    assert.equal(router.stats().split, null);
    assert.deepEqual((await send(50)).colors, { green: 50 });
    router.switchTo('blue');
  });

  test('bad splits are refused with the reason', () => {
    assert.throws(() => router.setSplit({ weights: { blue: 0, green: 0 } }), (e) => isCutoverError(e) && /add up to 0/.test(e.message));
    assert.throws(() => router.setSplit({ weights: { blue: -1, green: 5 } }), (e) => isCutoverError(e) && /blue must be a number >= 0/.test(e.message));
    assert.throws(() => router.setSplit({ weights: { blue: 1 }, stickyCookie: 'bad name' }), (e) => isCutoverError(e) && /stickyCookie/.test(e.message));
  });
});

test('readCookie finds a cookie among others', () => {
  assert.equal(readCookie('a=1; cutover_split=42; b=2', 'cutover_split'), '42');
  assert.equal(readCookie('xcutover_split=1', 'cutover_split'), undefined);
  assert.equal(readCookie(undefined, 'a'), undefined);
  assert.equal(readCookie('a=1;b=2', 'b'), '2');
});
