import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sample, ScenarioWorkspace } from './support/workspace.ts';

/**
 * Given v1 live (blue) and v2 deployed (green, so blue is retired),
 * when `cutover down` and then `cutover up` run (what a reboot with the systemd unit does),
 * then up waits for the health checks and reports v2 brought back, the router serves v2,
 * and `status` shows green live again instead of "live: nothing".
 */
test('up after down brings back the last live release and records it live again', { timeout: 180_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  try {
    await ws.up();
    assert.equal((await ws.cli(['deploy', 'v1'])).code, 0);
    assert.equal((await ws.cli(['deploy', 'v2'])).code, 0);
    const down = await ws.cli(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await ws.cli(['status'])).json?.live?.color ?? null, null);

    const up = await ws.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.json.restore?.state, 'live', JSON.stringify(up.json.restore));
    assert.equal(up.json.restore.version, 'v2');
    assert.deepEqual(await sample(up.json.addresses.main, 5), ['200 v2']);
    const status = (await ws.cli(['status'])).json;
    assert.deepEqual(status.live, { color: 'green', version: 'v2' });
    assert.equal(status.colors.blue.ready, 0, 'the retired color stays down');
    assert.equal(status.colors.blue.desired, 0, 'the retired color stays down');
  } finally {
    await ws.dispose();
  }
});

test('up --systemd writes a unit that runs the daemon in the foreground at boot', { timeout: 60_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  const unitDir = mkdtempSync(join(tmpdir(), 'cutover-units-'));
  try {
    const r = await ws.cli(['up', '--systemd', '--unit-dir', unitDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.name, 'cutover-scenario-shop.service');
    const unit = readFileSync(join(unitDir, 'cutover-scenario-shop.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart="${process.execPath}" ".*bin/cutover" "up" "--foreground" "--config" "${ws.configPath}"$`, 'm'));
    assert.match(unit, new RegExp(`^WorkingDirectory="${ws.dir}"$`, 'm'));
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^KillMode=mixed$/m);
    assert.match(unit, /^WantedBy=(multi-user|default)\.target$/m);
    assert.match(r.json.enable, /systemctl( --user)? daemon-reload && systemctl( --user)? enable --now cutover-scenario-shop\.service/);
    assert.equal(existsSync(join(ws.dir, '.cutover', 'daemon.sock')), false, '--systemd does not start the daemon itself');
  } finally {
    rmSync(unitDir, { recursive: true, force: true });
    await ws.dispose();
  }
});
