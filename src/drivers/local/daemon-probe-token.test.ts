// The CLI and the daemon can be of two cutover versions for a while: a user upgrades the package
// and deploys before `cutover up` has restarted the daemon. A daemon from before the probe token
// has no `GET /probe-token`, and its router names the serving color to any probe; the switch
// proof must still work against it, and any other failure must still be one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from '../../core/errors.ts';
import { LEGACY_PROBE_VALUE, probeTokenOf } from './daemon-probe-token.ts';

test('a daemon that knows the route: its token', async () => {
  assert.equal(await probeTokenOf(async () => ({ token: 'a'.repeat(64) })), 'a'.repeat(64));
});

test('a daemon from before the probe token (no such admin route): the value its router answers to', async () => {
  const older = async (): Promise<{ token: string }> => { throw new CutoverError('not-found', 'no admin route GET /probe-token'); };
  assert.equal(await probeTokenOf(older), LEGACY_PROBE_VALUE);
});

test('any other failure is not hidden', async () => {
  const gone = async (): Promise<{ token: string }> => { throw new CutoverError('unreachable', 'the cutover daemon is not running'); };
  await assert.rejects(probeTokenOf(gone), /not running/);
});
