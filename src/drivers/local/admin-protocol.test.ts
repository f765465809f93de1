import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminRaw } from '../../../test/support/admin-raw.ts';
import { DaemonFixture } from '../../../test/support/local-daemon.ts';
import { get } from '../../../test/support/workspace.ts';
import { CutoverError, EXIT_CODES } from '../../core/errors.ts';
import { AdminClient } from './admin-client.ts';
import { localPaths } from './paths.ts';

/**
 * Given a daemon serving blue,
 * when the admin API gets malformed requests (bad percent-encoding, broken JSON, wrong shapes),
 * then each gets a 400 naming the problem, and the daemon and its data plane keep serving.
 */
test('malformed admin requests get a 400 and never take down the daemon or the router', { timeout: 60_000 }, async () => {
  const fx = new DaemonFixture();
  try {
    const daemon = await fx.start();
    await fx.run('blue', 'r1', true);
    const socket = localPaths(fx.stateDir).socket;
    const cases: Array<[string, string, string | undefined, RegExp]> = [
      ['DELETE', '/colors/%E0%A4%A', undefined, /percent-encoding/],
      ['PUT', '/colors/%ZZ/flags', '{}', /percent-encoding/],
      ['DELETE', '/colors/purple', undefined, /unknown color "purple"/],
      ['POST', '/switch', '{"to":', /not valid JSON/],
      ['POST', '/switch', '[]', /switch: \(body\)/],
      ['POST', '/switch', '{"to":"red"}', /switch: to:/],
      ['PUT', '/maintenance', '{"on":"yes"}', /maintenance: on:/],
      ['PUT', '/colors/green', '{"version":"r2"}', /release spec: command:/],
      ['PUT', '/colors/green/flags', 'null', /flags: \(body\)/],
      ['PUT', '/split', '{"weights":{"blue":-1}}', /split: weights\.blue:/],
      ['PUT', '/split', '{"weights":{},"sticky":"x"}', /split: \(body\): Unrecognized key.*sticky/],
      ['PUT', '/colors/green', '{"version":"r2","command":["node"],"cwd":"/","env":{"1X":"a"},"replicas":1,"flags":{},"restart":{"backoffMs":1,"maxBackoffMs":1,"crashLoopRestarts":1,"windowMs":1},"stopTimeoutMs":1}', /release spec: env\.1X:/],
      ['PUT', '/colors/green/flags', '{"flags":{},"rolling":"no"}', /flags: rolling:/],
      ['GET', '/colors/blue/events?since=soon', undefined, /events: since:/],
      ['GET', '/colors/blue/events?wait=forever', undefined, /events: wait:/],
      ['POST', '/shutdown', '{"force":true}', /POST \/shutdown: force: this route takes no request body/],
      ['DELETE', '/split', '[1]', /DELETE \/split: \(body\): this route takes no request body/],
      ['DELETE', '/colors/green', '{"now":1}', /DELETE \/colors\/:color: now:/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await adminRaw(socket, method, path, body);
      assert.equal(answer.status, 400, `${method} ${path} ${body ?? ''}: ${answer.body}`);
      assert.match(JSON.parse(answer.body).error.message, message, `${method} ${path}`);
    }
    assert.equal(daemon.router.live, 'blue');
    assert.equal(daemon.supervisor.status('green').desired, 0, 'no rejected body started anything');
    assert.equal((await get(daemon.router.address.main)).status, 200, 'the router still serves');
    assert.equal((await adminRaw(socket, 'GET', '/status')).status, 200, 'the admin API still answers');
  } finally {
    await fx.dispose();
  }
});

/**
 * Given a daemon serving blue,
 * when the typed client sends a body the daemon rejects, or reads the router's counters,
 * then the rejection is a usage error naming the request and the field (exit 2, never 70), and
 * the counters arrive as JSON that passed the client's check and count the requests served.
 */
test('the client turns a rejected body into a clear usage error and reads the router counters as JSON', { timeout: 60_000 }, async () => {
  const fx = new DaemonFixture();
  const client = new AdminClient(localPaths(fx.stateDir).socket);
  try {
    const daemon = await fx.start();
    await fx.run('blue', 'r1', true);
    const rejected = await client.send('PUT /split', { body: { weights: { blue: 50, green: -5 } } }).then(() => null, (err: unknown) => err);
    assert.ok(rejected instanceof CutoverError, String(rejected));
    assert.equal(rejected.code, 'usage');
    assert.equal(EXIT_CODES[rejected.code], 2);
    assert.match(rejected.message, /^the cutover daemon rejected PUT \/split: split: weights\.green: /);

    for (let i = 0; i < 5; i++) assert.equal((await get(daemon.router.address.main)).status, 200);
    const counters = await client.send('GET /counters');
    assert.ok(counters.colors.blue.main.requests['2xx'] >= 5, JSON.stringify(counters.colors.blue.main.requests));
    assert.equal(counters.colors.blue.main.latency.at(-1), counters.colors.blue.main.requests['2xx'] + counters.colors.blue.main.requests['3xx'] + counters.colors.blue.main.requests['4xx'] + counters.colors.blue.main.requests['5xx']);
    assert.deepEqual(counters.colors.green.main.requests, { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
    assert.deepEqual(await fx.driver.routerCounters(), await client.send('GET /counters'), 'the driver reads the same route');

    const text = await client.send('GET /metrics');
    assert.match(text, /^cutover_router_requests_total\{color="blue",listener="main",class="2xx"\} [1-9]/m, 'GET /metrics still answers Prometheus text');
  } finally {
    await client.close();
    await fx.dispose();
  }
});
