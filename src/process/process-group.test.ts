import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './process-alive.ts';
import { isProcessGroupAlive, signalProcessGroup, terminateProcessGroup } from './process-group.ts';

/**
 * A group leader that exits on SIGTERM, with a background child that ignores SIGTERM: what a
 * script leaves behind when it starts a server with `&`. Returns both pids.
 */
async function groupWithStubbornChild(dir: string): Promise<{ leader: number; child: number }> {
  const pidFile = join(dir, 'child.pid');
  const leader = spawn('/bin/sh', ['-c', `(trap '' TERM; echo $(exec sh -c 'echo $PPID') > ${pidFile}; exec sleep 60) & wait`], { detached: true, stdio: 'ignore' });
  leader.unref();
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const child = Number(readFileSync(pidFile, 'utf8').trim());
      if (child > 0) return { leader: leader.pid!, child };
    } catch { /* not written yet */ }
    if (Date.now() > deadline) throw new Error('the background child never started');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('process groups', () => {
  test('terminateProcessGroup gives the whole group the grace, then SIGKILLs what ignored SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-pgroup-'));
    try {
      const { leader, child } = await groupWithStubbornChild(dir);
      assert.equal(isProcessGroupAlive(leader), true);
      const started = performance.now();
      await terminateProcessGroup(leader, 600);
      const took = performance.now() - started;
      assert.ok(took >= 550, `waited the grace for the stubborn child (${Math.round(took)} ms)`);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(isProcessAlive(child), false, 'the child that ignored SIGTERM is gone');
      assert.equal(isProcessGroupAlive(leader), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with leaderOnly, the rest of the group is SIGKILLed as soon as the leader has exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-pgroup-'));
    try {
      const { leader, child } = await groupWithStubbornChild(dir);
      const started = performance.now();
      await terminateProcessGroup(leader, 10_000, { leaderOnly: true });
      assert.ok(performance.now() - started < 5_000, 'did not wait out the grace for the child');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(isProcessAlive(child), false);
      assert.equal(isProcessGroupAlive(leader), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a pid that leads no group is signalled alone, and a group already gone is no error', async () => {
    // Not detached: it is in this test's own group, so -pid names no group at all.
    const lone = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await new Promise((resolve) => lone.once('spawn', resolve));
    const exited = new Promise((resolve) => lone.once('exit', (_code, signal) => resolve(signal)));
    signalProcessGroup(lone.pid!, 'SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    assert.doesNotThrow(() => signalProcessGroup(lone.pid!, 'SIGKILL'));
    await terminateProcessGroup(lone.pid!, 100);
  });
});
