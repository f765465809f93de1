// The lock wait is a retry with a budget, so it runs on the injected Clock: a test's virtual
// time, not real time, decides when it gives up. The lock itself against PostgreSQL is proven
// in lock-truth.pg.test.ts; here a session stands in that answers as a held lock would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acquireMigrationLock } from './advisory-lock.ts';
import type { SqlSession } from './database.ts';
import { CutoverError } from '../core/errors.ts';
import { VirtualClock } from '../../test/support/virtual-clock.ts';

/** A session whose pg_try_advisory_lock fails until `freeAt` on the clock. */
function heldUntil(clock: VirtualClock, freeAt: number) {
  const tries: number[] = [];
  const session: SqlSession = {
    async query<Row>(sql: string): Promise<Row[]> {
      if (sql.includes('pg_try_advisory_lock')) {
        tries.push(clock.now());
        return [{ ok: clock.now() >= freeAt }] as Row[];
      }
      return [];
    },
    async close() {},
  };
  return { session, tries };
}

test('the migration lock gives up when its wait runs out on the injected clock', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  const start = clock.now();
  const { session, tries } = heldUntil(clock, Infinity);
  const error = await clock.run(acquireMigrationLock(session, 'cutover_migrations', 60_000, clock)).catch((e: unknown) => e);
  assert.ok(error instanceof CutoverError, String(error));
  assert.equal(error.code, 'locked');
  assert.match(error.message, /gave up after waiting 1m/);
  assert.equal(clock.now() - start, 60_000, 'gave up exactly at the budget, on the clock');
  assert.equal(tries.length, 301, 'a try every 200 ms, and one at the deadline');
});

test('the migration lock is taken on the first try after its holder lets go', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  const start = clock.now();
  const { session, tries } = heldUntil(clock, start + 10_000);
  const release = await clock.run(acquireMigrationLock(session, 'cutover_migrations', 600_000, clock));
  assert.equal(typeof release, 'function');
  assert.equal(tries.at(-1)! - start, 10_000);
});
