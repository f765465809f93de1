// Small mismatches between what the CLI promised and what it did: colour codes in pipes, text
// from `logs --json`, usage errors reported as failures, `status` exiting differently per
// platform, a silent `down`, and a switch proof that counted user traffic as its own probes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/drivers/local/free-port.ts';
import { explain } from './support/cli-runner.ts';
import { get, ScenarioWorkspace } from './support/workspace.ts';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));
const ANSI = /\x1b\[/;

/** `cutover <args>` with stdout a pipe and nothing asking for colour or for no colour (no CI, no NO_COLOR). */
function plainPipe(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete base.CI;
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); }));
}

describe('CLI contract', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  test('logs --target-color blue into a pipe prints no ANSI codes; --color blue still works, with a deprecation note', async () => {
    const renamed = await plainPipe(ws.dir, ['logs', '--target-color', 'blue', '--config', ws.configPath]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.ok(renamed.stdout.trim().length > 0, 'the replicas logged something');
    assert.doesNotMatch(renamed.stdout, ANSI, 'no escape codes in a pipe');
    const old = await plainPipe(ws.dir, ['logs', '--color', 'blue', '--config', ws.configPath]);
    assert.equal(old.code, 0, old.stderr);
    assert.ok(old.stdout.trim().length > 0, 'the same logs');
    assert.doesNotMatch(old.stdout, ANSI, '--color blue must not force colour into the pipe');
    assert.match(old.stderr, /--color blue is deprecated; use --target-color blue/);
  });

  test('logs --json prints one JSON object per line', async () => {
    const r = await ws.cli(['logs', '--target-color', 'live']);
    assert.equal(r.code, 0, explain(r));
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, r.stdout);
    for (const line of lines) {
      const entry = JSON.parse(line);
      assert.equal(entry.color, 'blue');
      assert.equal(typeof entry.source, 'string');
      assert.ok(entry.stream === 'stdout' || entry.stream === 'stderr');
      assert.equal(typeof entry.line, 'string');
    }
  });

  test('promote with nothing waiting is a usage error: exit 2', async () => {
    const r = await ws.cli(['promote']);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, /no deploy is waiting to be promoted/);
  });

  test('a live-color flag change without --yes (and no TTY) is a usage error: exit 2, nothing restarted', async () => {
    const r = await ws.cli(['flags', 'set', 'beta=1', '--target-color', 'live']);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, /needs --yes/);
    assert.deepEqual(ws.readState().flags.blue, {});
  });

  test('the switch proof counts only its own probes while users keep sending requests', async () => {
    let stop = false;
    let userRequests = 0;
    const users = Array.from({ length: 4 }, async () => {
      while (!stop) {
        await get(main).then(() => { userRequests++; }, () => {});
      }
    });
    try {
      const r = await ws.cli(['deploy', 'v2']);
      assert.equal(r.code, 0, explain(r));
      const proof = r.json.phases.find((p: { name: string }) => p.name === 'switch');
      assert.match(proof.detail, /; 20\/20 probes reached green;/, proof.detail);
    } finally {
      stop = true;
      await Promise.all(users);
    }
    assert.ok(userRequests > 50, `users sent ${userRequests} requests during the deploy`);
  });

  test('status with the daemon stopped exits 1 (as on Kubernetes with no API server); down twice says nothing is running', async () => {
    const down = await ws.cli(['down']);
    assert.equal(down.code, 0, explain(down));
    assert.equal(down.json.wasRunning, true);
    const status = await ws.cli(['status']);
    assert.equal(status.code, 1, explain(status));
    assert.equal(status.json.platform.reachable, false);
    const again = await plainPipe(ws.dir, ['down', '--config', ws.configPath]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /nothing to stop: no cutover daemon or release process is running/);
  });

  test('status against a Kubernetes API server that does not answer exits 1 too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-k8s-gone-'));
    try {
      const port = await freePort();
      writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
users: [{name: u, user: {token: x}}]
`);
      writeFileSync(join(dir, 'deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: x}]\n');
      writeFileSync(join(dir, 'cutover.yaml'), 'app: shop\nplatform:\n  kind: kubernetes\n  service: shop\n  deployment: deploy.yaml\n  image: "r/shop:${version}"\nhealth:\n  checks:\n    - http: /health\n');
      const r = await plainPipe(dir, ['status', '--json', '--config', join(dir, 'cutover.yaml')], { KUBECONFIG: join(dir, 'kubeconfig') });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
