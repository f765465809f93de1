import { createHash } from 'node:crypto';
import { formatDuration } from '../config/duration.ts';
import { systemClock, type Clock } from '../core/deps.ts';
import { CutoverError } from '../core/errors.ts';
import type { SqlSession } from './database.ts';

const POLL_MS = 200;

/** The 64-bit advisory lock key for a ledger table: stable across processes and machines. */
export function advisoryLockKey(table: string): bigint {
  return createHash('sha256').update(`cutover:migrations:${table}`).digest().readBigInt64BE(0);
}

/**
 * Takes the session-level advisory lock that makes migration runs on one database take
 * turns, waiting up to `waitMs`. It polls with pg_try_advisory_lock instead of blocking in
 * pg_advisory_lock: a blocked call is an open transaction, and CREATE INDEX CONCURRENTLY in
 * the runner holding the lock would wait for it to end.
 * @returns a release function (idempotent).
 * @throws CutoverError('locked') naming the holder when the wait runs out.
 */
export async function acquireMigrationLock(
  session: SqlSession, table: string, waitMs: number, clock: Clock = systemClock,
): Promise<() => Promise<void>> {
  const key = advisoryLockKey(table).toString();
  const deadline = clock.now() + waitMs;
  for (;;) {
    const [row] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
    if (row?.ok) break;
    if (clock.now() >= deadline) {
      const holder = await describeHolder(session, key).catch(() => 'another session');
      throw new CutoverError('locked', `another migration run holds the lock for ${table} (${holder}); gave up after waiting ${formatDuration(waitMs)}`, {
        details: { table, waitedMs: waitMs },
      });
    }
    await clock.sleep(Math.min(POLL_MS, Math.max(1, deadline - clock.now())));
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await session.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
  };
}

async function describeHolder(session: SqlSession, key: string): Promise<string> {
  // pg_locks splits a bigint key into classid (high 32 bits) and objid (low 32 bits).
  const big = BigInt.asUintN(64, BigInt(key));
  const rows = await session.query<{ pid: number; application_name: string; client_addr: string | null; since: string | null }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start::text AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid`,
    [(big >> 32n).toString(), (big & 0xffffffffn).toString()],
  );
  const h = rows[0];
  if (!h) return 'another session';
  const from = h.client_addr ? ` from ${h.client_addr}` : '';
  return `pid ${h.pid}${h.application_name ? ` "${h.application_name}"` : ''}${from}, connected since ${h.since}`;
}
