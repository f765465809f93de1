import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../../bin/cutover', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cutover-lint-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cutover(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cutover migrations lint', () => {
  mkdirSync(join(dir, 'db/expand'), { recursive: true });
  mkdirSync(join(dir, 'db/contract'), { recursive: true });
  writeFileSync(join(dir, 'cutover.yaml'), 'migrations:\n  expand: db/expand\n  contract: db/contract\n');
  writeFileSync(join(dir, 'db/expand/001_add.sql'), 'ALTER TABLE users ADD COLUMN bio text;\n');
  writeFileSync(join(dir, 'db/contract/001_drop.sql'), '-- the old release stopped using it\nALTER TABLE users DROP COLUMN nickname;\n');

  test('a drop in the configured contract directory passes; the same file linted as expand fails with exit 1', () => {
    const ok = cutover('migrations', 'lint', 'db', 'db/expand', 'db/contract', '--format', 'json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { files: ['db/expand/001_add.sql', 'db/contract/001_drop.sql'], findings: [] });

    const bad = cutover('migrations', 'lint', 'db/contract/001_drop.sql', '--phase', 'expand', '--format', 'github');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^::error file=db\/contract\/001_drop\.sql,line=2,col=19,title=cutover drop-column::drops column users\.nickname/m);
  });

  test('bad usage exits 2 and says what was wrong', () => {
    const r = cutover('migrations', 'lint', 'db', '--format', 'xml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format must be one of text, json, github, not "xml"/);
  });
});
