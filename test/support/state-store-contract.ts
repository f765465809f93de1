import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CutoverError } from '../../src/core/errors.ts';
import type { StateStore } from '../../src/core/store.ts';
import { emptyState, type HistoryEntry, type LockHolder } from '../../src/core/types.ts';

/** What a store's test gives the contract suite: a fresh, empty store for one app. */
export interface StoreFixture {
  store: StateStore;
  /** A second handle on the same record, as another process would open it. */
  reopen(): StateStore;
  cleanup(): Promise<void>;
}

const holder = (command: string): LockHolder => ({ pid: process.pid, host: 'contract-host', command, since: new Date().toISOString() });
const entry = (operationId: string, event: HistoryEntry['event']): HistoryEntry => ({ at: new Date().toISOString(), operationId, kind: 'deploy', event, version: 'v1', live: { color: null, version: null } });

/**
 * What every StateStore promises (src/core/store.ts), run against a real one: the state round
 * trips whole and is read back by another handle, history is append-only with newest last,
 * the lock is exclusive and released once, signals are per operation and idempotent.
 */
export function stateStoreContract(name: string, makeFixture: () => Promise<StoreFixture>, options: { timeoutMs?: number } = {}): void {
  describe(`state store contract: ${name}`, { timeout: options.timeoutMs ?? 60_000 }, () => {
    let f: StoreFixture;
    before(async () => { f = await makeFixture(); });
    after(async () => { await f?.cleanup(); });

    test('before the first save there is no state', async () => {
      assert.equal(await f.store.load(), null);
    });

    test('a saved state is read back whole, also by another handle, and a later save replaces it', async () => {
      const state = emptyState('contract');
      state.live = 'blue';
      state.colors.blue = { ...state.colors.blue, state: 'live', version: 'v1' };
      state.flags.blue = { beta: true, rollout: { percent: 20 } };
      await f.store.save(state);
      assert.deepEqual(await f.store.load(), state);
      assert.deepEqual(await f.reopen().load(), state);
      const next = structuredClone(state);
      next.live = 'green';
      next.colors.green = { ...next.colors.green, state: 'live', version: 'v2' };
      next.colors.blue.state = 'retired';
      await f.store.save(next);
      assert.deepEqual(await f.reopen().load(), next);
    });

    test('history is append-only: newest last, at most `limit`', async () => {
      for (const event of ['started', 'phase', 'finished'] as const) await f.store.appendHistory(entry('op-a', event));
      await f.store.appendHistory(entry('op-b', 'started'));
      const all = await f.reopen().history();
      assert.deepEqual(all.map((e) => [e.operationId, e.event]), [['op-a', 'started'], ['op-a', 'phase'], ['op-a', 'finished'], ['op-b', 'started']]);
      assert.deepEqual((await f.store.history(2)).map((e) => [e.operationId, e.event]), [['op-a', 'finished'], ['op-b', 'started']]);
    });

    test('the lock is exclusive: a second taker is refused with `locked` naming the holder, until it is released', async () => {
      const lock = await f.store.acquireLock(holder('deploy v2'));
      try {
        assert.equal((await f.reopen().lockHolder())?.command, 'deploy v2');
        assert.equal(await f.store.isHolderGone(lock.holder), false);
        await assert.rejects(f.reopen().acquireLock(holder('deploy v3')), (err: unknown) => err instanceof CutoverError && err.code === 'locked');
      } finally {
        await lock.release();
        await lock.release();
      }
      assert.equal(await f.reopen().lockHolder(), null);
      const again = await f.reopen().acquireLock(holder('rollback'));
      await again.release();
    });

    test('signals are kept per operation, idempotent, and cleared', async () => {
      await f.store.sendSignal('op-a', 'promote');
      await f.store.sendSignal('op-a', 'promote');
      await f.reopen().sendSignal('op-a', 'abort');
      assert.deepEqual([...(await f.store.signals('op-a'))].sort(), ['abort', 'promote']);
      assert.equal((await f.store.signals('op-b')).size, 0);
      await f.store.clearSignals('op-a');
      assert.equal((await f.reopen().signals('op-a')).size, 0);
    });
  });
}
