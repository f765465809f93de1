import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStatusInvocation } from './status-invocation.ts';

test('status command lines the fast path reads as commander would', () => {
  assert.deepEqual(readStatusInvocation(['status']), { globals: { config: 'cutover.yaml' }, watch: false, probe: false });
  assert.deepEqual(readStatusInvocation(['--json', 'status', '-c', 'x.yaml']), { globals: { config: 'x.yaml', json: true }, watch: false, probe: false });
  assert.deepEqual(readStatusInvocation(['status', '--config=a=b.yaml', '-y', '--probe', '-w']), { globals: { config: 'a=b.yaml', yes: true }, watch: true, probe: true });
  // commander takes the argument after --config as its value, whatever it looks like.
  assert.deepEqual(readStatusInvocation(['--config', 'status', 'status']), { globals: { config: 'status' }, watch: false, probe: false });
});

test('anything else goes to the full program', () => {
  for (const args of [[], ['deploy', 'v1'], ['status', '--help'], ['status', '-h'], ['help', 'status'], ['status', '-V'], ['status', 'extra'], ['status', 'status'],
    ['status', '-wy'], ['status', '-cfile'], ['status', '--'], ['status', '--colour'], ['status', '--color'], ['status', '--no-color'], ['status', '--json', '--json'],
    ['status', '-c'], ['status', '-c', 'a', '--config', 'b'], ['--config', 'status'], ['status', '--watch=1']]) {
    assert.equal(readStatusInvocation(args), undefined, JSON.stringify(args));
  }
});
