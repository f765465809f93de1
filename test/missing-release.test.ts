import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain } from './support/cli-runner.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

/**
 * A release whose directory or program is missing is reported as such, before anything is
 * started, instead of as "spawn node ENOENT" and a crash-looping color.
 */
describe('deploy of a release that is not there', () => {
  let ws: ScenarioWorkspace;
  before(async () => {
    ws = ScenarioWorkspace.create();
    await ws.up();
  });
  after(async () => {
    await ws?.dispose();
  });

  test('a missing release directory fails the deploy, naming the directory and platform.cwd', async () => {
    const r = await ws.cli(['deploy', 'v404']);
    assert.equal(r.code, 1, explain(r));
    const text = r.stdout + r.stderr;
    assert.match(text, new RegExp(`${join(ws.dir, 'releases', 'v404').replaceAll('/', '\\/')} does not exist`), explain(r));
    assert.match(text, /platform\.cwd/, explain(r));
    assert.doesNotMatch(text, /crash-looping|ENOENT/, explain(r));
  });

  test('a program that is not there fails the deploy, naming platform.command', async () => {
    const config = join(ws.dir, 'missing-program.yaml');
    writeFileSync(config, readFileSync(ws.configPath, 'utf8').replace('command: ["node", "server.js"]', 'command: ["./start-server"]'));
    const r = await ws.cli(['deploy', 'v1'], { config });
    assert.equal(r.code, 1, explain(r));
    const text = r.stdout + r.stderr;
    assert.match(text, /platform\.command\[0\] "\.\/start-server" is not in .*releases\/v1/, explain(r));
    assert.doesNotMatch(text, /crash-looping/, explain(r));
  });

  test('doctor reports a running release whose directory has gone', async () => {
    const deploy = await ws.cli(['deploy', 'v1', '--yes']);
    assert.equal(deploy.code, 0, explain(deploy));
    const healthy = await ws.cli(['doctor']);
    assert.ok(healthy.json.findings.some((f: { check: string; verdict: string }) => f.check.endsWith('release files') && f.verdict === 'ok'), explain(healthy));
    renameSync(join(ws.dir, 'releases', 'v1'), join(ws.dir, 'releases', 'v1.moved'));
    try {
      const r = await ws.cli(['doctor']);
      assert.equal(r.code, 1, explain(r));
      const finding = r.json.findings.find((f: { check: string; verdict: string }) => f.check.endsWith('release files') && f.verdict === 'problem');
      assert.ok(finding, explain(r));
      assert.match(finding.detail, /runs v1 \(live\), but the release directory .*releases\/v1 does not exist \(platform\.cwd/);
    } finally {
      renameSync(join(ws.dir, 'releases', 'v1.moved'), join(ws.dir, 'releases', 'v1'));
    }
  });
});
