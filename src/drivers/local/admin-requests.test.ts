import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminRaw } from '../../../test/support/admin-raw.ts';
import { DaemonFixture } from '../../../test/support/local-daemon.ts';
import { get } from '../../../test/support/workspace.ts';
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
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await adminRaw(socket, method, path, body);
      assert.equal(answer.status, 400, `${method} ${path} ${body ?? ''}: ${answer.body}`);
      assert.match(JSON.parse(answer.body).error.message, message, `${method} ${path}`);
    }
    assert.equal(daemon.router.live, 'blue');
    assert.equal((await get(daemon.router.address.main)).status, 200, 'the router still serves');
    assert.equal((await adminRaw(socket, 'GET', '/status')).status, 200, 'the admin API still answers');
  } finally {
    await fx.dispose();
  }
});
