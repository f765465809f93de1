import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLockFile, LockFileBusy, type LockFileHolder } from './lock-file.ts';

const holder = (command: string): LockFileHolder => ({ pid: process.pid, host: hostname(), command, since: new Date().toISOString() });

test('the wait for a live holder is timed on a monotonic reading: a wall-clock step back does not stretch it', { timeout: 10_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'lock');
  const first = await acquireLockFile(path, holder('deploy v1'));
  t.after(() => first.release());

  // After its first reading the wall clock reads an hour earlier, as after an NTP step: a
  // deadline on Date.now would then lie an hour ahead and the 300 ms wait would not end.
  const realNow = Date.now.bind(Date);
  let readings = 0;
  t.mock.method(Date, 'now', () => (readings++ === 0 ? realNow() : realNow() - 3_600_000));
  const started = performance.now();
  await assert.rejects(acquireLockFile(path, holder('deploy v2'), { waitMs: 300, pollMs: 20 }), (err) => {
    assert.ok(err instanceof LockFileBusy);
    assert.equal(err.holder.command, 'deploy v1');
    return true;
  });
  const waited = performance.now() - started;
  assert.ok(waited >= 300, `waited the full 300 ms before giving up, waited ${Math.round(waited)} ms`);
});
