import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LedgerEntry } from './ledger.ts';
import { contractRefusal, rollbackBlock } from './release-gates.ts';

let id = 0;
function entry(phase: 'expand' | 'contract', name: string, release: string): LedgerEntry {
  return { id: ++id, phase, name, checksum: 'x', release, status: 'applied', statementsDone: 1, statementsTotal: 1, startedAt: '2025-01-01 00:00:00+00', appliedAt: '2025-01-01 00:00:01+00', durationMs: 5 };
}
const order = ['v1', 'v2', 'v3'];

describe('contractRefusal', () => {
  test('allows contract when nothing was expanded', () => {
    assert.equal(contractRefusal([], { running: [{ color: 'blue', version: 'v1' }], releaseOrder: order }), null);
  });

  test('uses the release of the newest expand migration, not the oldest', () => {
    const ledger = [entry('expand', '001.sql', 'v1'), entry('expand', '002.sql', 'v3')];
    const refusal = contractRefusal(ledger, { running: [{ color: 'green', version: 'v3' }, { color: 'blue', version: 'v2' }], releaseOrder: order });
    assert.deepEqual({ color: refusal?.color, blockingRelease: refusal?.blockingRelease }, { color: 'blue', blockingRelease: 'v3' });
    assert.match(refusal!.reason, /002\.sql/);
    assert.equal(contractRefusal(ledger, { running: [{ color: 'green', version: 'v3' }], releaseOrder: order }), null);
  });

  test('an old color that is not yet retired blocks contract even when the new release applied no expand migration', () => {
    const ledger = [entry('expand', '001.sql', 'v1')];
    const refusal = contractRefusal(ledger, { running: [{ color: 'blue', version: 'v1' }, { color: 'green', version: 'v2' }], releaseOrder: order, live: { color: 'green', version: 'v2' } });
    assert.equal(refusal?.color, 'blue');
    assert.match(refusal!.reason, /older than v2, which is live on green/);
  });

  test('a running version missing from the deploy order cannot be proven new enough', () => {
    const ledger = [entry('expand', '001.sql', 'v2')];
    assert.equal(contractRefusal(ledger, { running: [{ color: 'blue', version: 'hotfix' }], releaseOrder: order })?.color, 'blue');
  });
});

describe('rollbackBlock', () => {
  test('names the first contract migration that ran after the target release', () => {
    const ledger = [entry('expand', '001.sql', 'v1'), entry('contract', '001_drop_a.sql', 'v2'), entry('contract', '002_drop_b.sql', 'v3')];
    assert.equal(rollbackBlock(ledger, { targetVersion: 'v1', releaseOrder: order })?.migration, '001_drop_a.sql');
    assert.equal(rollbackBlock(ledger, { targetVersion: 'v2', releaseOrder: order })?.migration, '002_drop_b.sql');
    assert.equal(rollbackBlock(ledger, { targetVersion: 'v3', releaseOrder: order }), null);
  });

  test('expand migrations never block a rollback', () => {
    assert.equal(rollbackBlock([entry('expand', '009.sql', 'v3')], { targetVersion: 'v1', releaseOrder: order }), null);
  });
});
