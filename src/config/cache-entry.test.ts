// Both caches (the config's and the kubeconfig's) read entries through this one reader: what a
// user notices is that an entry is used only for the input it was made from, and that a damaged
// cache is as good as none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCacheEntry, writeCacheEntry } from './cache-entry.ts';

test('an entry is read back for its own key only, and only with an object under its field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cache-entry-'));
  try {
    const file = join(dir, 'nested', 'entry.json');
    await writeCacheEntry(file, 'k1', 'doc', { a: 1 });
    assert.deepEqual(readCacheEntry(file, 'k1', 'doc'), { a: 1 });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readCacheEntry(file, 'k2', 'doc'), null, 'another key');
    assert.equal(readCacheEntry(file, 'k1', 'config'), null, 'another field');
    assert.equal(readCacheEntry(join(dir, 'missing.json'), 'k1', 'doc'), null, 'no file');
    for (const damaged of ['{"key":"k1","doc":', 'null', '[]', '{"key":"k1","doc":"text"}', '{"key":"k1","doc":null}', '{"key":1,"doc":{}}']) {
      writeFileSync(file, damaged);
      assert.equal(readCacheEntry(file, 'k1', 'doc'), null, damaged);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an entry that cannot be written is not an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cache-entry-'));
  try {
    writeFileSync(join(dir, 'a-file'), '');
    await writeCacheEntry(join(dir, 'a-file', 'entry.json'), 'k', 'doc', {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
