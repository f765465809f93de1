// The status bundle's code cache (code-cache.ts) in real node processes: the cache is written at
// exit, so every run here is a child process. Whatever is in the cache directory, the bundle
// must run as it would without one: same output, its import() calls working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LOADER = fileURLToPath(new URL('./code-cache.ts', import.meta.url));

// Like the built status bundle: CommonJS, its import() calls going through the loader's function
// (scripts/build.mjs rewrites them so), one relative and one of a builtin.
const BUNDLE = `const __cutoverImport=module[Symbol.for('cutover.import')]??(s=>import(s));
const { join } = require('node:path');
function lazy(n) { return n * 2; }
Promise.all([__cutoverImport('./other.mjs'), __cutoverImport('node:os')]).then(([other, os]) => {
  console.log(JSON.stringify({ other: other.value, os: typeof os.cpus, lazy: lazy(21), file: join(__filename) === __filename }));
});
`;

async function runBundle(bundle: string, cacheDir: string): Promise<{ stdout: string; outcome: string }> {
  const script = `import { runWithCodeCache } from ${JSON.stringify(LOADER)};\nprocess.stderr.write(runWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cacheDir)}));\n`;
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 30_000 });
  return { stdout, outcome: stderr };
}

const EXPECTED = `${JSON.stringify({ other: 'other', os: 'function', lazy: 42, file: true })}\n`;

describe('runWithCodeCache', () => {
  let dir: string;
  let bundle: string;
  let cache: string;
  const entries = () => readdirSync(cache).filter((f) => f.endsWith('.bin'));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-code-cache-'));
    bundle = join(dir, 'bundle.cjs');
    cache = join(dir, 'cache');
    writeFileSync(bundle, BUNDLE);
    writeFileSync(join(dir, 'other.mjs'), "export const value = 'other';\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the first run compiles and keeps the bytecode; the next uses it, and import() still works', async () => {
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'missing' });
    assert.equal(entries().length, 1);
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  // V8 on Node 20 takes changed bytes as they are (cachedDataRejected stays false) and the script
  // then runs wrong: without the digest check this run spun at 100% CPU and never ended.
  test('a corrupt entry (bytes changed) is not given to V8; the run compiles and replaces it', async () => {
    const file = join(cache, entries()[0]!);
    const content = readFileSync(file);
    content[Math.floor(content.length / 2)]! ^= 0xff;
    writeFileSync(file, content);
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'invalid' });
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  test('a partial entry (cut short, or empty) is ignored', async () => {
    const file = join(cache, entries()[0]!);
    for (const length of [100, 10, 0]) {
      writeFileSync(file, readFileSync(file).subarray(0, length));
      assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'invalid' }, `${length} bytes`);
    }
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  test('an intact entry that V8 rejects (bytecode of another script) is replaced', async () => {
    const file = join(cache, entries()[0]!);
    const { createHash } = await import('node:crypto');
    const vm = await import('node:vm');
    const other = new vm.Script('(function () { return 1 + 1; })').createCachedData();
    writeFileSync(file, Buffer.concat([createHash('sha256').update(other).digest(), other]));
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'rejected' });
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  test('a changed bundle gets an entry of its own', async () => {
    writeFileSync(bundle, `${BUNDLE}// changed\n`);
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'missing' });
    assert.equal(entries().length, 2);
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  // One entry per cutover and Node version pair: without pruning, every upgrade left one behind
  // (about 255 kB for the status bundle) for as long as the user cache lived.
  test('writing an entry keeps the four newest and removes older ones and abandoned temporary files', async () => {
    const now = Date.now() / 1000;
    for (const f of readdirSync(cache)) rmSync(join(cache, f));
    for (let age = 1; age <= 6; age++) {
      const old = join(cache, `old-${age}.bin`);
      writeFileSync(old, 'bytecode of another cutover or Node version');
      utimesSync(old, now - age * 3600, now - age * 3600);
    }
    const abandoned = join(cache, 'old-1.bin.12345.tmp');
    writeFileSync(abandoned, 'left by a run killed between write and rename');
    utimesSync(abandoned, now - 3600, now - 3600);
    const fresh = join(cache, 'other.bin.999.tmp');
    writeFileSync(fresh, 'another run writing now');
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'missing' });
    const left = readdirSync(cache).sort();
    assert.equal(left.filter((f) => f.endsWith('.bin')).length, 4, left.join(' '));
    assert.deepEqual(left.filter((f) => f.startsWith('old-')), ['old-1.bin', 'old-2.bin', 'old-3.bin']);
    assert.ok(left.includes('other.bin.999.tmp'), 'a temporary file written within the last minute is left to its writer');
    assert.deepEqual(await runBundle(bundle, cache), { stdout: EXPECTED, outcome: 'used' });
  });

  test('a cache directory that cannot be written leaves the run as it is', async () => {
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would be');
    for (let i = 0; i < 2; i++) assert.deepEqual(await runBundle(bundle, join(blocked, 'cache')), { stdout: EXPECTED, outcome: 'missing' });
  });
});
