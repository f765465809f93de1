import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProcessIds, readProcStat } from './proc-stat.ts';
import { isProcessAlive, processStartTime } from './process-alive.ts';

const linux = process.platform === 'linux' ? false : 'reads /proc, which only Linux has';

/** What `ps` says of `pid`, to hold the parser against a second reader of the same field. */
function ps(pid: number): { pgid: number } {
  return { pgid: Number(spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim()) };
}

test('readProcStat reads the state, group and start time of a process whose name holds ") ("', { skip: linux }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-procstat-'));
  // The command name is in parentheses in /proc/<pid>/stat; one with its own ") (" must not shift the fields.
  const odd = join(dir, 'a) b (c');
  copyFileSync('/bin/sleep', odd);
  const child = spawn(odd, ['30'], { detached: true, stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const stat = readProcStat(child.pid!);
    assert.ok(stat, 'the stat file is read');
    assert.equal(stat.pgid, ps(child.pid!).pgid);
    assert.match(stat.state, /^[RS]$/, 'running or asleep, as a fresh `sleep` is');
    assert.equal(stat.pgid, child.pid, 'a detached child leads its own group');
    assert.match(stat.startTime, /^\d+$/);
    assert.ok(Number(stat.startTime) >= Number(readProcStat(process.pid)!.startTime), 'started after this process');
    assert.equal(processStartTime(child.pid!), stat.startTime);
    assert.ok(Number.isInteger(stat.cpuTicks) && stat.cpuTicks >= 0);
    assert.ok(listProcessIds().includes(child.pid!));
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cpuTicks counts the CPU time a process has used, as node itself counts it', { skip: linux }, () => {
  const ticks = () => readProcStat(process.pid)!.cpuTicks;
  const usedMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1_000; };
  const [ticks0, ms0] = [ticks(), usedMs()];
  // Spin until node reports 300 ms of CPU used, however loaded the machine is.
  while (usedMs() - ms0 < 300) { /* spin */ }
  const ticksUsed = ticks() - ticks0;
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const expected = ((usedMs() - ms0) / 1_000) * hz;
  assert.ok(Math.abs(ticksUsed - expected) <= 3, `${ticksUsed} ticks, node counted ${expected.toFixed(1)}`);
});

test('a zombie is not alive, and a process that is gone has no stat', { skip: linux }, async () => {
  // Node reaps children on its event loop, which this synchronous loop holds: until then the
  // exited child is a zombie, as one under a PID 1 that never reaps stays.
  const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  const pid = child.pid!;
  let sawZombie = false;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const state = readProcStat(pid)?.state;
    if (state === 'Z') { sawZombie = true; break; }
    if (state === undefined) break;
  }
  assert.ok(sawZombie, 'the exited child showed as a zombie');
  assert.equal(isProcessAlive(pid), false, 'a zombie holds nothing');
  await new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(readProcStat(pid), null);
  assert.equal(isProcessAlive(pid), false);
});
