// Ctrl-C on `cutover demo`, the first command a new user runs: it must leave no process running
// and no temporary directory behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));

/** Pids of every process whose working directory is inside `dir` (replicas run in releases/<v>). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dir)) found.push(Number(name));
    } catch { /* exited, or not ours to read */ }
  }
  return found;
}

test('Ctrl-C during `cutover demo` stops its replicas and daemon and removes its workspace', async () => {
  const child = spawn(process.execPath, [BIN, 'demo'], { env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let dir: string | null = null;
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        dir ??= /\(workspace (\/[^)]+)\)/.exec(stderr)?.[1] ?? null;
        // Under load, with v1's replicas running and v2's release under way.
        if (/deploy v2 to green/.test(stderr)) resolve();
      });
      child.once('exit', () => reject(new Error(`the demo ended before it could be interrupted:\n${stderr}`)));
    });
    assert.ok(dir, `the demo named its workspace: ${stderr}`);
    const running = processesIn(dir);
    assert.ok(running.length >= 2, `replicas run inside ${dir} before Ctrl-C (found ${running.length})`);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Ctrl-C: stopping the demo/);
    assert.deepEqual(processesIn(dir), [], 'no process left running in the demo workspace');
    assert.equal(existsSync(dir), false, `${dir} was removed`);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
    if (dir) {
      for (const pid of processesIn(dir)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
