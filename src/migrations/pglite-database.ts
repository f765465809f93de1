import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { CutoverError } from '../core/errors.ts';
import { importOptional } from '../core/optional-package.ts';
import type { MigrationDatabase, SqlSession } from './database.ts';
import { lockDataDir } from './data-dir-lock.ts';

const DEFAULT_LOCK_WAIT_MS = 30_000;

export interface PgliteOptions {
  /** How long to wait while another process has the directory open. Default 30s. */
  lockWaitMs?: number;
}

/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM) in a local data directory, so
 * the demo and quick start show the expand/contract flow without a server. It is one
 * in-process backend, so every "session" shares it.
 *
 * Only one process may open the directory at a time: a second PGlite on the same files
 * neither sees the first one's unflushed writes nor keeps its own when the first one closes.
 * So the directory is locked (`<dataDir>.lock`) while an instance is open, and the instance
 * is closed as soon as its last session ends; a deploy then holds it only while it lints
 * and applies migrations, not through its bake and scale-down delay, when people run
 * `cutover migrations …` from another terminal.
 */
export function createPgliteDatabase(dataDir: string, options: PgliteOptions = {}): MigrationDatabase {
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  let instance: Promise<{ db: PGlite; unlock: () => Promise<void> }> | undefined;
  let closing: Promise<void> = Promise.resolve();
  let sessions = 0;

  const get = (): Promise<PGlite> => {
    instance ??= (async () => {
      await closing;
      let unlock: (() => Promise<void>) | undefined;
      try {
        await mkdir(dataDir, { recursive: true });
        unlock = await lockDataDir(`${dataDir}.lock`, `the embedded PGlite database in ${dataDir}`, lockWaitMs);
        // Loaded on demand: the WASM build is large and only the embedded default needs it.
        const { PGlite } = await importOptional(() => import('@electric-sql/pglite'), '@electric-sql/pglite', 'migrations: without migrations.databaseUrl or DATABASE_URL (the embedded database)');
        const db = new PGlite(dataDir);
        await db.waitReady;
        return { db, unlock };
      } catch (err) {
        instance = undefined;
        await unlock?.();
        if (err instanceof CutoverError) throw err;
        throw new CutoverError('unreachable', `cannot open the embedded PGlite database in ${dataDir}: ${(err as Error).message}`, { cause: err });
      }
    })();
    return instance.then((i) => i.db);
  };

  const release = (): Promise<void> => {
    const pending = instance;
    instance = undefined;
    if (!pending) return closing;
    const done = closing.then(async () => {
      const opened = await pending.catch(() => undefined);
      if (!opened) return;
      try {
        await opened.db.close();
      } finally {
        await opened.unlock();
      }
    });
    // A failed close is reported to its caller, but must not stop the next open.
    closing = done.catch(() => {});
    return done;
  };

  return {
    kind: 'embedded',
    description: `embedded PGlite in ${dataDir}`,
    async openSession(): Promise<SqlSession> {
      sessions++;
      let db: PGlite;
      try {
        db = await get();
      } catch (err) {
        sessions--;
        throw err;
      }
      let closed = false;
      return {
        async query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
          if (params) return (await db.query<Row>(sql, params as unknown[])).rows;
          const results = await db.exec(sql);
          return (results[results.length - 1]?.rows ?? []) as Row[];
        },
        async close(): Promise<void> {
          if (closed) return;
          closed = true;
          sessions = Math.max(0, sessions - 1);
          if (sessions === 0) await release();
        },
      };
    },
    async close(): Promise<void> {
      sessions = 0;
      await release();
    },
  };
}
