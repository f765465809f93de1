import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HostApps } from './host-apps.ts';

describe('host apps: the daemons of one host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-host-apps-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists a running daemon, and forgets one whose process is gone (killed, never unregistered)', async () => {
    const apps = new HostApps(dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    await apps.register({ pid: process.pid, app: 'shop', configPath: '/srv/shop/cutover.yaml', stateDir: '/srv/shop/.cutover' });
    await apps.register({ pid: deadPid, app: 'billing', configPath: '/srv/billing/cutover.yaml', stateDir: '/srv/billing/.cutover' });
    writeFileSync(join(dir, 'torn.json'), '{"pid": 1, "app":');
    assert.deepEqual(apps.list().map((e) => e.app), ['shop']);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.json')).length, 2, 'the dead daemon\'s entry was removed; the torn file is left alone');
  });

  it('unregisters only its own entry: a newer daemon of the same state directory keeps its own', async () => {
    const apps = new HostApps(dir);
    await apps.register({ pid: process.pid, app: 'shop', configPath: '/srv/shop/cutover.yaml', stateDir: '/srv/shop/.cutover' });
    apps.unregister('/srv/shop/.cutover', process.pid + 1);
    assert.deepEqual(apps.list().map((e) => e.app), ['shop']);
    apps.unregister('/srv/shop/.cutover', process.pid);
    assert.deepEqual(apps.list(), []);
  });
});
