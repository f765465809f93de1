import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCutoverError } from '../core/errors.ts';
import { processStartTime } from '../process/process-alive.ts';
import { lockDataDir } from './data-dir-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-dirlock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function holderFile(path: string, pid: number, startTime: string | null): void {
  writeFileSync(path, JSON.stringify({ pid, startTime, host: hostname(), command: 'cutover deploy v2', since: '2026-01-01T00:00:00.000Z' }));
}

describe('data directory lock', () => {
  test('a live holder in another process makes the lock wait, then fail naming it; once it dies the lock is recovered', async () => {
    const path = join(dir, 'live.lock');
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      holderFile(path, holder.pid!, processStartTime(holder.pid!));
      const started = Date.now();
      await assert.rejects(lockDataDir(path, 'the embedded PGlite database in /x', 300), (err) => {
        assert.ok(isCutoverError(err));
        assert.equal(err.code, 'locked');
        assert.match(err.message, new RegExp(`in use by pid ${holder.pid} \\(cutover deploy v2`));
        return true;
      });
      assert.ok(Date.now() - started >= 300, 'it waited for the holder first');
    } finally {
      const exited = new Promise((r) => holder.once('exit', r));
      holder.kill('SIGKILL');
      await exited;
    }
    const release = await lockDataDir(path, 'x', 300);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    await release();
    assert.equal(existsSync(path), false);
  });

  test('a recorded pid now used by another process (different start time) does not hold the lock', async () => {
    const path = join(dir, 'reused.lock');
    holderFile(path, process.pid, 'not-our-start-time');
    const release = await lockDataDir(path, 'x', 300);
    await release();
  });

  test('a waiter gets the lock as soon as the holder releases it, and a stale release removes nothing', async () => {
    const path = join(dir, 'handoff.lock');
    const releaseFirst = await lockDataDir(path, 'x', 300);
    const second = lockDataDir(path, 'x', 5_000);
    await new Promise((r) => setTimeout(r, 150));
    await releaseFirst();
    const releaseSecond = await second;
    await releaseFirst(); // idempotent: must not remove the second holder's file
    assert.equal(existsSync(path), true);
    await releaseSecond();
    assert.equal(existsSync(path), false);
  });
});
