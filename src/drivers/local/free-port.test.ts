// Ports for the replicas of one color, from the real kernel. A probe that is closed before the
// next one is opened leaves the kernel free to hand out the same port again (about once in 5,000
// pairs on Linux, which picks odd ports in the lower half of the range for listen(0)): both
// replicas are then started on it and the second one can never listen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts } from './free-port.ts';

test('freePorts never gives two replicas of one color the same port (20,000 pairs)', async () => {
  const repeated: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const [a, b] = await freePorts(2);
    if (a === b) repeated.push(a!);
  }
  assert.deepEqual(repeated, [], `the same port twice in one call: ${repeated.join(', ')}`);
});
