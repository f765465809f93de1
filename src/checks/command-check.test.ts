import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommandCheck } from './command-check.ts';
import type { CommandCheckSpec } from './types.ts';

function command(script: string, timeoutMs = 5_000): CommandCheckSpec {
  return { kind: 'command', name: 'command check', argv: ['/bin/sh', '-c', script], cwd: '/tmp', timeoutMs };
}
const target = { name: 'green-1', url: 'http://127.0.0.1:40001' };

describe('command check', () => {
  test('exit 0 passes', async () => {
    const result = await runCommandCheck(command('exit 0'), target);
    assert.equal(result.ok, true);
  });

  test('a non-zero exit fails with the code and the last line printed', async () => {
    const result = await runCommandCheck(command('echo checking; echo "database unreachable" >&2; exit 3'), target);
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'exit 3: database unreachable');
  });

  test('the command receives CUTOVER_TARGET_URL and CUTOVER_COLOR, and runs without a shell', async () => {
    const spec: CommandCheckSpec = {
      kind: 'command', name: 'node check', cwd: '/tmp', timeoutMs: 5_000,
      argv: [process.execPath, '-e', 'process.exit(process.env.CUTOVER_TARGET_URL === process.argv[1] && process.env.CUTOVER_COLOR === "green" ? 0 : 1)', target.url],
    };
    assert.equal((await runCommandCheck(spec, target, { color: 'green' })).ok, true);
    assert.equal((await runCommandCheck(spec, target, { color: 'blue' })).ok, false);
    const echo = await runCommandCheck(
      { ...spec, argv: [process.execPath, '-e', 'console.log(process.argv[1]); process.exit(1)', '$HOME;echo'] }, target);
    assert.equal(echo.reason, 'exit 1: $HOME;echo', 'arguments reach the program verbatim');
  });

  test('a missing program fails with a readable reason', async () => {
    const result = await runCommandCheck({ ...command(''), argv: ['/nonexistent/check-db'] }, target);
    assert.equal(result.ok, false);
    assert.equal(result.reason, '/nonexistent/check-db not found');
  });

  test('a command that hangs is killed at its timeout', async () => {
    const started = performance.now();
    const result = await runCommandCheck(command('sleep 30', 200), target);
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'no result within 200ms (killed)');
    assert.ok(performance.now() - started < 3_000);
  });
});
