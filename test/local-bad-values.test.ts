import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { exampleServerSource } from '../src/demo/example-app.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

/**
 * Given router.listen names a port another process holds,
 * when `cutover up` runs in the background,
 * then up itself exits 2 naming the field and the reason, instead of "did not start within 15s".
 */
test('up shows why the router could not bind its listen address', { timeout: 60_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (holder.address() as AddressInfo).port;
    writeFileSync(ws.configPath, readFileSync(ws.configPath, 'utf8').replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`));
    const r = await ws.cli(['up']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`router\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    assert.doesNotMatch(r.stderr, /did not start within/);
  } finally {
    holder.close();
    await ws.dispose();
  }
});

/**
 * Given a running v1, when v-missing (no release directory) is deployed, preflight refuses it
 * naming the directory, nothing is started, and doctor names the live release's missing
 * directory once it disappears.
 */
test('a missing release directory is caught by preflight and doctor, not reported as crash-looping', { timeout: 120_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  try {
    await ws.up();
    assert.equal((await ws.cli(['deploy', 'v1'])).code, 0);
    const r = await ws.cli(['deploy', 'v-missing']);
    assert.equal(r.code, 1, r.stderr);
    const all = `${r.stdout}${r.stderr}`;
    assert.match(all, new RegExp(`platform\\.cwd ${join(ws.dir, 'releases', 'v-missing').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`));
    assert.doesNotMatch(all, /crash-looping|ENOENT/);
    const status = await ws.cli(['status']);
    assert.equal(status.json.colors.green.version ?? null, null, 'nothing was provisioned');

    rmSync(join(ws.dir, 'releases', 'v1'), { recursive: true });
    const doctor = await ws.cli(['doctor']);
    const finding = doctor.json.findings.find((f: { check: string }) => f.check === 'blue release');
    assert.equal(finding?.verdict, 'problem', JSON.stringify(doctor.json.findings));
    assert.match(finding.detail, /does not exist/);
  } finally {
    await ws.dispose();
  }
});

/** Given an app that ignores HOST and binds every interface, doctor warns that it can be reached around the router. */
test('doctor warns when a replica listens beyond loopback', { timeout: 120_000, skip: process.platform !== 'linux' ? 'reads /proc/net/tcp' : false }, async () => {
  const ws = ScenarioWorkspace.create();
  try {
    mkdirSync(join(ws.dir, 'releases', 'wide'));
    writeFileSync(join(ws.dir, 'releases', 'wide', 'server.js'), exampleServerSource().replace("server.listen(port, '127.0.0.1')", "server.listen(port, '0.0.0.0')"));
    await ws.up();
    assert.equal((await ws.cli(['deploy', 'v1'])).code, 0);
    let doctor = await ws.cli(['doctor']);
    assert.equal(doctor.json.findings.find((f: { check: string }) => f.check === 'replica exposure')?.verdict, 'ok');
    assert.equal((await ws.cli(['deploy', 'wide'])).code, 0);
    doctor = await ws.cli(['doctor']);
    const exposure = doctor.json.findings.find((f: { check: string }) => f.check === 'replica exposure');
    assert.equal(exposure?.verdict, 'warning', JSON.stringify(doctor.json.findings));
    assert.match(exposure.detail, /0\.0\.0\.0:\d+/);
  } finally {
    await ws.dispose();
  }
});
