import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { CutoverError } from '../core/errors.ts';
import type { MigrationDatabase, SqlSession } from './database.ts';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM) in a local data directory, so
 * the demo and quick start show the expand/contract flow without a server. It is one
 * in-process backend, so every "session" shares it, and only one process may open the
 * directory at a time.
 */
export function createPgliteDatabase(dataDir: string): MigrationDatabase {
  let instance: Promise<PGlite> | undefined;
  const get = (): Promise<PGlite> => {
    instance ??= (async () => {
      try {
        await mkdir(dataDir, { recursive: true });
        // Loaded on demand: the WASM build is large and only the embedded default needs it.
        const { PGlite } = await import('@electric-sql/pglite');
        const db = new PGlite(dataDir);
        await db.waitReady;
        return db;
      } catch (err) {
        instance = undefined;
        throw new CutoverError('unreachable', `cannot open the embedded PGlite database in ${dataDir}: ${(err as Error).message}`, { cause: err });
      }
    })();
    return instance;
  };
  return {
    kind: 'embedded',
    description: `embedded PGlite in ${dataDir}`,
    async openSession(): Promise<SqlSession> {
      const db = await get();
      return {
        async query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
          if (params) return (await db.query<Row>(sql, params as unknown[])).rows;
          const results = await db.exec(sql);
          return (results[results.length - 1]?.rows ?? []) as Row[];
        },
        async close(): Promise<void> {},
      };
    },
    async close(): Promise<void> {
      const pending = instance;
      instance = undefined;
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}
