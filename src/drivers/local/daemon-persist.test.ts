import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonFixture } from '../../../test/support/local-daemon.ts';
import { localPaths } from './paths.ts';

/** Makes every later write of daemon.json fail: rename() cannot replace a non-empty directory. */
function breakDaemonJson(stateDir: string): () => void {
  const path = localPaths(stateDir).daemonState;
  const saved = readFileSync(path, 'utf8');
  rmSync(path);
  mkdirSync(path);
  writeFileSync(join(path, 'blocker'), '');
  return () => {
    rmSync(path, { recursive: true });
    writeFileSync(path, saved);
  };
}

function tempFiles(stateDir: string): string[] {
  return readdirSync(stateDir).filter((n) => n.endsWith('.tmp'));
}

/**
 * Given a daemon serving blue, with green ready,
 * when daemon.json cannot be written,
 * then a switch and a maintenance change are reported as failed, traffic and maintenance stay
 * as they were, and no temp file is left behind; once the file can be written, both work.
 */
test('a switch or maintenance change that cannot be saved is refused and changes nothing', { timeout: 60_000 }, async () => {
  const fx = new DaemonFixture();
  try {
    const daemon = await fx.start();
    await fx.run('blue', 'r1', true);
    await fx.run('green', 'r2', false);
    const repair = breakDaemonJson(fx.stateDir);

    await assert.rejects(fx.driver.switchTraffic('green'), /daemon\.json/);
    assert.equal(daemon.router.live, 'blue', 'traffic stays on blue');
    await assert.rejects(fx.driver.maintenance(true, 'x'), /daemon\.json/);
    assert.equal(daemon.router.stats().maintenance, false, 'maintenance stays off');
    assert.deepEqual(tempFiles(fx.stateDir), []);

    repair();
    await fx.driver.switchTraffic('green');
    assert.equal(daemon.router.live, 'green');
    assert.equal(JSON.parse(readFileSync(localPaths(fx.stateDir).daemonState, 'utf8')).live, 'green');
  } finally {
    await fx.dispose();
  }
});
