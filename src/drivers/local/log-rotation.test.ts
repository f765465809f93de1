import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateLogs } from './log-rotation.ts';

const MAX = 64 * 1024;

/**
 * Given a process writing 1 KiB lines as fast as it can to a log it holds open with O_APPEND
 * (as replicas do),
 * when rotation runs every 20 ms with a 64 KiB cap and 2 kept files,
 * then the file never ends a pass above the cap, at most 2 rotated copies exist, the process
 * keeps writing (fresh lines keep arriving after rotations), and nothing else is created.
 */
test('replica logs rotate with a size cap while the writer keeps its descriptor', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-logs-'));
  const path = join(dir, 'blue-0.out.log');
  const fd = openSync(path, 'a');
  const writer = spawn(process.execPath, ['-e', `let i = 0; const line = 'x'.repeat(1000); setInterval(() => { for (let k = 0; k < 20; k++) process.stdout.write(\`\${i++} \${line}\\n\`); }, 2);`], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  try {
    let rotations = 0;
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      rotations += (await rotateLogs(dir, { maxBytes: MAX, keep: 2 })).length;
      assert.ok(statSync(path).size <= MAX * 4, `between passes the file stays near the cap (${statSync(path).size})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await rotateLogs(dir, { maxBytes: MAX, keep: 2 });
    assert.ok(rotations >= 5, `rotated ${rotations} times`);
    assert.ok(statSync(path).size <= MAX, 'after a pass the file is within the cap');
    assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`), 'two rotated copies');
    assert.ok(!existsSync(`${path}.3`), 'no more than `keep` copies');
    // The writer is still writing into the same file after all those rotations.
    const before = statSync(path).size;
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(statSync(path).size > before || statSync(path).size < before, 'the writer keeps appending');
    assert.match(readFileSync(`${path}.1`, 'utf8'), /^\d+ x{1000}$/m, 'rotated copies hold the writer\'s lines');
  } finally {
    writer.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
