import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonFixture } from '../../../test/support/local-daemon.ts';
import { localPaths } from './paths.ts';

const SECRET = 's3cr3t-pa55word';

/**
 * Given a release whose env carries a DATABASE_URL with a password,
 * when it runs under the daemon,
 * then .cutover/ is 0700, its files 0600, daemon.json names the variable but not its value,
 * the replica still gets the value, and it gets HOST=127.0.0.1.
 */
test('.cutover/ is owner-only, daemon.json holds no env values, replicas get HOST=127.0.0.1', { timeout: 60_000 }, async () => {
  const fx = new DaemonFixture({}, { env: { DATABASE_URL: `postgres://shop:${SECRET}@db.internal/shop` } });
  try {
    const daemon = await fx.start();
    await fx.run('blue', 'r1', true);
    const paths = localPaths(fx.stateDir);
    await daemon.persist();

    const record = readFileSync(paths.daemonState, 'utf8');
    assert.ok(!record.includes(SECRET), 'the password is not in daemon.json');
    assert.deepEqual(JSON.parse(record).colors.blue.spec.envKeys, ['DATABASE_URL']);

    assert.equal(statSync(fx.stateDir).mode & 0o777, 0o700, '.cutover/');
    for (const file of [paths.daemonState, paths.daemonPid, paths.socket, ...readdirSync(paths.logs).map((n) => join(paths.logs, n))]) {
      assert.equal(statSync(file).mode & 0o077, 0, `${file} is readable by others: ${(statSync(file).mode & 0o777).toString(8)}`);
    }
    assert.equal(statSync(paths.logs).mode & 0o077, 0, 'logs/');

    const pid = daemon.supervisor.replicas('blue')[0]!.pid!;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('HOST=127.0.0.1'), 'HOST=127.0.0.1');
    assert.ok(environ.includes(`DATABASE_URL=postgres://shop:${SECRET}@db.internal/shop`), 'the replica still gets the value');
  } finally {
    await fx.dispose();
  }
});
