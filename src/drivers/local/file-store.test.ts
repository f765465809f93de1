import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCutoverError } from '../../core/errors.ts';
import { emptyState } from '../../core/types.ts';
import { FileStateStore } from './file-store.ts';
import { processStartTime } from '../../process/process-alive.ts';

const root = mkdtempSync(join(tmpdir(), 'cutover-filestore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshStore(): FileStateStore {
  const dir = join(root, `s${n++}`);
  mkdirSync(dir, { recursive: true });
  return new FileStateStore(dir);
}
const me = () => ({ pid: process.pid, host: hostname(), command: 'deploy v2', since: new Date().toISOString() });

describe('operation lock', () => {
  for (const [what, content] of [['empty', ''], ['torn', '{"pid":12'], ['not a holder record', '[]']] as const) {
    test(`a lock file that is ${what} is reported as damaged and recovered by the next operation`, async () => {
      const store = freshStore();
      writeFileSync(join(store.dir, 'lock'), content);
      const holder = await store.lockHolder();
      assert.ok(holder?.damaged, 'lockHolder says the lock is damaged');
      assert.match(holder.damaged, /lock is damaged/);
      assert.equal(await store.isHolderGone(holder), true);
      const lock = await store.acquireLock(me());
      assert.equal(JSON.parse(readFileSync(join(store.dir, 'lock'), 'utf8')).pid, process.pid);
      await lock.release();
      assert.equal(existsSync(join(store.dir, 'lock')), false);
    });
  }

  test('the holder record carries the process start time, and a reused pid does not keep a dead holder\'s lock', async () => {
    const store = freshStore();
    const lock = await store.acquireLock(me());
    const written = JSON.parse(readFileSync(join(store.dir, 'lock'), 'utf8'));
    assert.equal(written.startTime, processStartTime(process.pid));
    assert.ok(written.startTime, 'a start time was read from /proc');
    await lock.release();
    // Our own pid, but recorded with another start time: the kernel reused the dead holder's pid.
    writeFileSync(join(store.dir, 'lock'), JSON.stringify({ ...me(), startTime: '1' }));
    assert.equal(await store.isHolderGone((await store.lockHolder())!), true);
    const again = await store.acquireLock(me());
    await again.release();
  });

  test('a live holder keeps the lock: exit-3 error naming it', async () => {
    const store = freshStore();
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(store.dir, 'lock'), JSON.stringify({ pid: sleeper.pid, startTime: processStartTime(sleeper.pid!), host: hostname(), command: 'deploy v9', since: 'x' }));
      await assert.rejects(store.acquireLock(me()), (err) => isCutoverError(err) && err.code === 'locked' && /deploy v9 \(pid \d+/.test(err.message));
    } finally {
      const exited = new Promise((r) => sleeper.once('exit', r));
      sleeper.kill('SIGKILL');
      await exited;
    }
  });

  test('many processes racing for a stale lock: exactly one wins, and no temp files are left', async () => {
    const store = freshStore();
    writeFileSync(join(store.dir, 'lock'), '');
    const script = `
      import { FileStateStore } from ${JSON.stringify(new URL('./file-store.ts', import.meta.url).href)};
      const store = new FileStateStore(process.argv[1]);
      try {
        await store.acquireLock({ pid: process.pid, host: (await import('node:os')).hostname(), command: 'race', since: new Date().toISOString() });
        console.log('won');
        // Holds the lock until the test has every racer's answer (then it is killed), so a racer
        // slow to start cannot legitimately recover a lock whose winner already exited.
        await new Promise((r) => setTimeout(r, 60_000));
      } catch (err) { console.log(err.code ?? err.message); }
    `;
    const children: ReturnType<typeof spawn>[] = [];
    const racers = Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, store.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('close', () => resolve(out.trim()));
    }));
    const results = await Promise.all(racers).finally(() => { for (const c of children) c.kill('SIGKILL'); });
    assert.equal(results.filter((r) => r === 'won').length, 1, `results: ${results.join(', ')}`);
    assert.equal(results.filter((r) => r === 'locked').length, 5, `results: ${results.join(', ')}`);
    assert.deepEqual(readdirSync(store.dir).filter((f) => f !== 'lock'), []);
  });

  test('recoverLock removes a damaged lock and leaves a live one', async () => {
    const store = freshStore();
    writeFileSync(join(store.dir, 'lock'), '');
    assert.equal(await store.recoverLock(), true);
    assert.equal(await store.lockHolder(), null);
    const lock = await store.acquireLock(me());
    assert.equal(await store.recoverLock(), false);
    assert.equal((await store.lockHolder())?.pid, process.pid);
    await lock.release();
  });
});

describe('state and history read through a schema', () => {
  const shapes: Array<[string, string, RegExp]> = [
    ['a list', '[]', /expected an object|expected a mapping/],
    ['an unknown color', JSON.stringify({ ...emptyState('a'), live: 'purple' }), /live: expected one of "blue", "green", found "purple"/],
    ['a color of the wrong type', JSON.stringify({ ...emptyState('a'), colors: { blue: 3, green: emptyState('a').colors.green } }), /colors\.blue: expected a mapping, found number 3/],
    ['an extra color', JSON.stringify({ ...emptyState('a'), colors: { ...emptyState('a').colors, red: {} } }), /colors: unknown key "red"/],
    ['empty', '', /it is empty/],
    ['torn JSON', '{"schemaVersion": 1, "app"', /not valid JSON/],
  ];
  for (const [what, text, message] of shapes) {
    test(`state.json holding ${what} is a 'damaged' error naming the file, the field and the way out`, async () => {
      const store = freshStore();
      writeFileSync(join(store.dir, 'state.json'), text);
      await assert.rejects(store.load(), (err) => {
        assert.ok(isCutoverError(err), String(err));
        assert.equal(err.code, 'damaged');
        assert.ok(err.message.includes(join(store.dir, 'state.json')), err.message);
        assert.match(err.message, message);
        assert.match(err.message, /cutover doctor --fix/);
        return true;
      });
    });
  }

  test('a record from a newer cutover with extra fields loads and keeps them', async () => {
    const store = freshStore();
    writeFileSync(join(store.dir, 'state.json'), JSON.stringify({ ...emptyState('a'), futureField: { x: 1 } }));
    const state = await store.load();
    assert.deepEqual((state as unknown as { futureField: unknown }).futureField, { x: 1 });
  });

  test('bad history lines are skipped, each with a warning naming the file and line', async () => {
    const store = freshStore();
    const good = { at: 'now', operationId: 'd1', kind: 'deploy', event: 'started' };
    writeFileSync(join(store.dir, 'history.jsonl'), [JSON.stringify(good), '{"at":"x","oper', JSON.stringify({ ...good, kind: 'teleport' }), JSON.stringify({ ...good, operationId: 'd2' })].join('\n'));
    const warnings: string[] = [];
    const entries = await store.history(100, { onSkippedLine: (m) => warnings.push(m) });
    assert.deepEqual(entries.map((e) => e.operationId), ['d1', 'd2']);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /history\.jsonl:2: skipped a line that is not valid JSON/);
    assert.match(warnings[1]!, /history\.jsonl:3: .*kind: expected one of/);
  });
});
