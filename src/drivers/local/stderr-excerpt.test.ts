// What a replica's exit is explained with, read from stderr logs that real Node processes wrote
// (each run a real `node -e`, its stderr appended after the supervisor's start banner).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderrExcerpt } from './stderr-excerpt.ts';

function stderrOf(source: string): string {
  return spawnSync(process.execPath, ['-e', source], { encoding: 'utf8', timeout: 10_000 }).stderr;
}

const banner = (port: number) => `--- ${new Date().toISOString()} green-1 v2 port ${port}\n`;

describe('stderrExcerpt', () => {
  let dir: string;
  let log: string;
  let held: Server;
  let heldPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-excerpt-'));
    log = join(dir, 'green-1.err.log');
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    heldPort = (held.address() as { port: number }).port;
  });
  after(() => {
    held.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an uncaught exception: the error line and the frame that threw, not "Node.js vX"', () => {
    writeFileSync(log, banner(1) + stderrOf("throw new Error('boom at start')"));
    assert.match(stderrOf('throw new Error("x")'), /Node\.js v\d+/, 'Node does end with its version line');
    assert.equal(stderrExcerpt(log), 'Error: boom at start | at [eval]:1:7');
  });

  test('a listen error thrown from Node\'s own frames: the error line names the address', () => {
    writeFileSync(log, banner(heldPort) + stderrOf(`require('node:http').createServer().listen(${heldPort}, '127.0.0.1')`));
    const excerpt = stderrExcerpt(log);
    assert.match(excerpt, new RegExp(`^Error: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${heldPort} \\| at \\S+ .*\\(node:net:\\d+:\\d+\\)$`));
  });

  test('a frame in Node is followed by the app\'s own first frame', () => {
    writeFileSync(log, banner(1) + stderrOf("function connect() { require('no-such-module-anywhere'); }\nconnect();"));
    assert.match(stderrExcerpt(log), /^Error: Cannot find module 'no-such-module-anywhere' \| at .*\(node:internal\/[^)]+\) \| at connect \(\[eval\]:1:22\)$/);
  });

  test('an error with a cause: the outer error, whose stack ends the output', () => {
    writeFileSync(log, banner(1) + stderrOf("throw new Error('no database', { cause: new Error('ECONNREFUSED 127.0.0.1:5432') })"));
    assert.match(stderrExcerpt(log), /^Error: no database \| at \[eval\]:1:7$/);
  });

  test('a thrown string has no stack: its line, without Node\'s hint and version lines', () => {
    writeFileSync(log, banner(1) + stderrOf("throw 'config missing'"));
    assert.match(stderrExcerpt(log), /\| config missing$/);
    assert.doesNotMatch(stderrExcerpt(log), /trace-uncaught|Node\.js v/);
  });

  test('a message and an exit: that message; a stack logged before it is not the reason', () => {
    writeFileSync(log, banner(1) + stderrOf("console.error(new Error('retrying once')); console.error('fatal: DATABASE_URL is not set'); process.exit(1)"));
    const excerpt = stderrExcerpt(log);
    assert.match(excerpt, /\| fatal: DATABASE_URL is not set$/);
    assert.ok(excerpt.split(' | ').length <= 5, excerpt);
  });

  test('only the latest start counts: an earlier run\'s error is not repeated', () => {
    writeFileSync(log, banner(1) + stderrOf("throw new Error('first run')") + banner(2) + stderrOf("console.error('second run'); process.exit(2)"));
    assert.equal(stderrExcerpt(log), 'second run');
  });

  test('bounded: a long log is read from its end only, and long lines are cut', () => {
    writeFileSync(log, banner(1));
    for (let i = 0; i < 2_000; i++) appendFileSync(log, `line ${i} ${'y'.repeat(500)}\n`);
    const excerpt = stderrExcerpt(log);
    assert.ok(excerpt.length <= 800, `${excerpt.length} characters`);
    assert.match(excerpt, /^line 199\d y+…/);
    assert.ok(excerpt.split(' | ').every((l) => l.length <= 300));
  });

  test('a missing or empty log says nothing', () => {
    assert.equal(stderrExcerpt(join(dir, 'none.err.log')), '');
    writeFileSync(log, `${banner(1)}\n\n`);
    assert.equal(stderrExcerpt(log), '');
  });
});
