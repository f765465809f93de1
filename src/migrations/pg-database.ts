import pg from 'pg';
import { CutoverError } from '../core/errors.ts';
import { redactUrl, type MigrationDatabase, type SqlSession } from './database.ts';

/** A real PostgreSQL server reached through `pg`; one client per session. */
export function createPgDatabase(url: string): MigrationDatabase {
  const description = redactUrl(url);
  const open = new Set<pg.Client>();
  return {
    kind: 'postgres',
    description,
    async openSession(): Promise<SqlSession> {
      // application_name lets a waiting runner name the one holding the lock.
      const client = new pg.Client({ connectionString: url, application_name: 'cutover migrations' });
      // Without a listener a dropped connection would crash the process; the next query fails instead.
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => {});
        throw new CutoverError('unreachable', `cannot connect to PostgreSQL at ${description}: ${(err as Error).message}`, { cause: err });
      }
      open.add(client);
      let closed = false;
      return {
        async query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
          const result = params ? await client.query(sql, params as unknown[]) : await client.query(sql);
          // A multi-statement simple query returns an array of results; the last one is what ran last.
          const last = Array.isArray(result) ? result[result.length - 1] : result;
          return (last?.rows ?? []) as Row[];
        },
        async close(): Promise<void> {
          if (closed) return;
          closed = true;
          open.delete(client);
          await client.end().catch(() => {});
        },
      };
    },
    async close(): Promise<void> {
      await Promise.all([...open].map((c) => c.end().catch(() => {})));
      open.clear();
    },
  };
}
