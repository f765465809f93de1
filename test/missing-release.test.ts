import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
    writeFileSync(config, (await import('node:fs')).readFileSync(ws.configPath, 'utf8').replace('command: ["node", "server.js"]', 'command: ["./start-server"]'));
    const r = await ws.cli(['deploy', 'v1'], { config });
    assert.equal(r.code, 1, explain(r));
    const text = r.stdout + r.stderr;
    assert.match(text, /platform\.command\[0\] "\.\/start-server" is not in .*releases\/v1/, explain(r));
    assert.doesNotMatch(text, /crash-looping/, explain(r));
  });
});
