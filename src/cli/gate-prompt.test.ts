import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalGate } from './gate-prompt.ts';
import { TerminalReporter } from './terminal-reporter.ts';

/**
 * Runs `body` with process.stdin and process.stderr replaced by getters that count reads.
 * Node builds the stream behind either on first read (a tty.ReadStream, a pipe socket or a file
 * stream, with their modules): a few milliseconds at the start of every command.
 */
function countingStreamReads(body: () => void): { stdin: number; stderr: number } {
  const reads = { stdin: 0, stderr: 0 };
  const saved = { stdin: Object.getOwnPropertyDescriptor(process, 'stdin')!, stderr: Object.getOwnPropertyDescriptor(process, 'stderr')! };
  for (const name of ['stdin', 'stderr'] as const) {
    Object.defineProperty(process, name, { configurable: true, get: () => { reads[name]++; return saved[name].get ? saved[name].get.call(process) : saved[name].value; } });
  }
  try {
    body();
  } finally {
    Object.defineProperty(process, 'stdin', saved.stdin);
    Object.defineProperty(process, 'stderr', saved.stderr);
  }
  return reads;
}

test('building a gate or a reporter reads neither process.stdin nor process.stderr (every command builds both; few ask or draw a spinner)', () => {
  const saved = process.env['CI'];
  delete process.env['CI'];
  try {
    let interactive: boolean | undefined;
    const reads = countingStreamReads(() => {
      interactive = terminalGate({ yes: false }).interactive;
      new TerminalReporter();
    });
    assert.deepEqual(reads, { stdin: 0, stderr: 0 });
    // The answer is still a TTY test of fds 0 and 2: under the test runner neither is a terminal.
    assert.equal(interactive, false);
  } finally {
    if (saved !== undefined) process.env['CI'] = saved;
  }
});
