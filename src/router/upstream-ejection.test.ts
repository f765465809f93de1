import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoadGenerator } from '../loadgen/load-generator.ts';
import { Router } from './router.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { httpRequest } from '../../test/support/test-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('router: a replica that refuses connections', () => {
  let replicas: TestBackend[];
  let router: Router;

  before(async () => {
    replicas = await Promise.all([startTestBackend('blue'), startTestBackend('blue'), startTestBackend('blue')]);
    router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 500 });
    router.setUpstreams('blue', replicas.map((r) => r.url));
    router.switchTo('blue');
  });

  after(async () => {
    await router.close();
    await Promise.all(replicas.map((r) => r.close()));
  });

  test('is taken out without a single client error, probed, and taken back when it returns', async () => {
    // Warm keep-alive connections to every replica, then kill one.
    for (let i = 0; i < 6; i++) assert.equal((await httpRequest(router.address.main)).status, 200);
    const dead = replicas[1]!;
    await dead.close();

    const result = await new LoadGenerator({
      model: 'closed',
      url: router.address.main,
      connections: 4,
      durationMs: 5000,
      maxRequests: 300,
      postFraction: 0.2,
      postBytes: 4096,
    }).start().finished;
    assert.equal(result.total.requests, 300);
    assert.equal(result.total.socketErrors, 0, JSON.stringify(result.total.byError));
    assert.equal(result.total.non2xx, 0, JSON.stringify(result.total.byStatus));
    const posts = replicas.flatMap((r) => r.arrivals).filter((a) => a.method === 'POST').length;
    assert.ok(posts > 20, `only ${posts} POSTs reached a live replica`);

    const stats = router.stats().colors.blue.upstreams;
    assert.deepEqual(stats.map((u) => u.healthy), [true, false, true]);

    // Bring it back on the same port: a probe notices and it gets traffic again.
    const revived = await startTestBackend('blue', 'blue-v1', dead.port);
    replicas[1] = revived;
    const deadline = performance.now() + 5000;
    while (!router.stats().colors.blue.upstreams[1]!.healthy) {
      assert.ok(performance.now() < deadline, 'the replica was not taken back within 5 s');
      await sleep(50);
    }
    for (let i = 0; i < 9; i++) assert.equal((await httpRequest(router.address.main)).status, 200);
    assert.ok(revived.arrivals.length > 0, 'the revived replica received no requests');
  });

  test('when every replica refuses, the client gets a 502 that says so', async () => {
    const r = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 100 });
    try {
      const gone = await startTestBackend('green');
      await gone.close();
      r.setUpstreams('green', [gone.url]);
      r.switchTo('green');
      const res = await httpRequest(r.address.main);
      assert.equal(res.status, 502);
      assert.match(res.body, /no green replica accepted the request \(1 tried\)/);
      const text = await r.metricsText();
      assert.match(text, /cutover_router_requests_total\{color="green",listener="main",class="5xx"\} 1/);
    } finally {
      await r.close();
    }
  });
});
