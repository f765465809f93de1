import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseFileProblems } from './release-files.ts';

test('a release whose directory or binary is missing is named before anything starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-release-files-'));
  try {
    mkdirSync(join(dir, 'v1'));
    writeFileSync(join(dir, 'v1', 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'v1', 'run.sh'), 0o755);
    writeFileSync(join(dir, 'v1', 'not-exec.sh'), '#!/bin/sh\n');
    const spec = (cwd: string, command: string[]) => ({ version: 'v1', cwd, command, env: {} });

    assert.deepEqual(releaseFileProblems(spec(join(dir, 'v1'), ['node', 'server.js'])), []);
    assert.deepEqual(releaseFileProblems(spec(join(dir, 'v1'), ['./run.sh'])), []);
    assert.deepEqual(releaseFileProblems(spec(join(dir, 'v9'), ['node', 'server.js'])), [`release v1: platform.cwd ${join(dir, 'v9')} does not exist`]);
    assert.deepEqual(releaseFileProblems(spec(join(dir, 'v1'), ['./missing.sh'])), [`release v1: platform.command[0] "./missing.sh" is not an executable file (looked in ${join(dir, 'v1')})`]);
    assert.match(releaseFileProblems(spec(join(dir, 'v1'), ['./not-exec.sh']))[0]!, /not an executable file/);
    assert.deepEqual(releaseFileProblems(spec(join(dir, 'v1'), ['no-such-binary-xyz'])), ['release v1: platform.command[0] "no-such-binary-xyz" was not found on PATH']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
