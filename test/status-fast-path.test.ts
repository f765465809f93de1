// `cutover status` runs from its own entry (src/cli/status-main.ts) without commander; anything
// it does not fully read goes to the full program. For the same command lines, the fast path and
// the full program (CUTOVER_STATUS_FAST_PATH=0) must print the same and exit the same, on a real
// local config with the daemon stopped, with a missing config, and for command lines that fall back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { traceModules } from './support/module-trace.ts';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));
const run = promisify(execFile);

async function cutover(dir: string, args: string[], fastPath: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', XDG_CACHE_HOME: join(dir, 'cache'), CUTOVER_STATUS_FAST_PATH: fastPath ? '1' : '0' };
  delete env.GITHUB_STEP_SUMMARY;
  return run(process.execPath, [BIN, ...args], { cwd: dir, env }).then((r) => ({ code: 0, ...r }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

describe('status fast path', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-status-fast-'));
    const init = await cutover(dir, ['init', '--yes'], false);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const lines = [
    ['status'], ['status', '--json'], ['--json', 'status', '-c', 'cutover.yaml'], ['status', '--config=cutover.yaml', '-y', '--probe'],
    ['status', '--config', 'missing.yaml'], ['status', '--json', '-c', 'missing.yaml'],
    // These fall back to the full program.
    ['status', '--bogus'], ['status', 'extra'], ['status', '--help'], ['status', '-wy', '--json'], ['status', '--color', 'blue', '--json'],
  ];
  for (const args of lines) {
    test(`cutover ${args.join(' ')}: same output and exit code either way`, async () => {
      const fast = await cutover(dir, args, true);
      const full = await cutover(dir, args, false);
      assert.deepEqual(fast, full);
    });
  }

  test('only the verb `status` takes the fast path: `migrations status`, a config named "status" and a stray operand "status" start the full program', async () => {
    const env = { CI: 'true', XDG_CACHE_HOME: join(dir, 'cache') };
    const entry = (modules: string[]) => modules.filter((url) => /\/src\/cli\/(status-)?main\.ts$/.test(url)).map((url) => url.replace(/^.*\/src\/cli\//, ''));
    for (const args of [['migrations', 'status'], ['--config', 'status', 'history'], ['-c', 'cutover.yaml', 'history', 'status']]) {
      const run = await traceModules(BIN, args, { cwd: dir, env });
      assert.deepEqual(entry(run.modules), ['main.ts'], `cutover ${args.join(' ')}: ${run.stderr}`);
    }
    for (const args of [['status'], ['--json', 'status'], ['-c', 'cutover.yaml', 'status'], ['--config=cutover.yaml', 'status', '--config', 'x']]) {
      const run = await traceModules(BIN, args, { cwd: dir, env });
      assert.equal(entry(run.modules)[0], 'status-main.ts', `cutover ${args.join(' ')}: ${run.stderr}`);
    }
  });

  test('the fast path runs without commander; a command line it does not read loads the full program', async () => {
    const env = { CI: 'true', XDG_CACHE_HOME: join(dir, 'cache') };
    const fast = await traceModules(BIN, ['status', '--json'], { cwd: dir, env });
    assert.equal(fast.code, 1, fast.stderr); // the daemon is not running
    assert.equal(JSON.parse(fast.stdout).platform.reachable, false);
    assert.deepEqual(fast.modules.filter((url) => url.includes('/node_modules/commander/')), []);
    const fallback = await traceModules(BIN, ['status', '--bogus'], { cwd: dir, env });
    assert.equal(fallback.code, 2);
    assert.match(fallback.stderr, /unknown option '--bogus'/);
    assert.notDeepEqual(fallback.modules.filter((url) => url.includes('/node_modules/commander/')), []);
  });
});
