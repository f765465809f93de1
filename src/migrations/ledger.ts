import type { SqlSession } from './database.ts';
import type { MigrationPhase } from './finding.ts';

/** One applied (or, for a CONCURRENTLY file, partly applied) migration, as the ledger records it. */
export interface LedgerEntry {
  /** Increases with every file started: the order migrations were applied in. */
  id: number;
  phase: MigrationPhase;
  name: string;
  checksum: string;
  /** The release being deployed (or, for a manual run, the live release) when it ran. */
  release: string;
  /** `partial`: a file run outside a transaction stopped after `statementsDone` statements. */
  status: 'applied' | 'partial';
  statementsDone: number;
  statementsTotal: number;
  startedAt: string;
  appliedAt: string | null;
  durationMs: number | null;
}

interface LedgerRow {
  id: string | number;
  phase: MigrationPhase;
  name: string;
  checksum: string;
  release: string;
  status: 'applied' | 'partial';
  statements_done: number;
  statements_total: number;
  started_at: string;
  applied_at: string | null;
  duration_ms: number | null;
}

/**
 * The ledger table. `table` has been validated by the config schema (lower-case
 * identifiers only), so it is safe to splice into SQL.
 */
export class Ledger {
  constructor(private readonly session: SqlSession, readonly table: string) {}

  async exists(): Promise<boolean> {
    const [row] = await this.session.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [this.table]);
    return row?.found === true;
  }

  /** Creates the table if it is missing. Idempotent; call only while holding the migration lock. */
  async ensure(): Promise<void> {
    await this.session.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      phase text NOT NULL CHECK (phase IN ('expand', 'contract')),
      name text NOT NULL,
      checksum text NOT NULL,
      release text NOT NULL,
      status text NOT NULL CHECK (status IN ('applied', 'partial')),
      statements_done integer NOT NULL,
      statements_total integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      applied_at timestamptz,
      duration_ms integer,
      UNIQUE (phase, name)
    )`);
  }

  /** Every entry, oldest first; empty when the table does not exist yet. */
  async entries(): Promise<LedgerEntry[]> {
    if (!(await this.exists())) return [];
    const rows = await this.session.query<LedgerRow>(
      `SELECT id, phase, name, checksum, release, status, statements_done, statements_total,
              started_at::text AS started_at, applied_at::text AS applied_at, duration_ms
         FROM ${this.table} ORDER BY id`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      phase: r.phase,
      name: r.name,
      checksum: r.checksum,
      release: r.release,
      status: r.status,
      statementsDone: r.statements_done,
      statementsTotal: r.statements_total,
      startedAt: r.started_at,
      appliedAt: r.applied_at,
      durationMs: r.duration_ms,
    }));
  }

  /** Records a file applied in one transaction; call inside that transaction. */
  async recordApplied(entry: { phase: MigrationPhase; name: string; checksum: string; release: string; statements: number; durationMs: number }): Promise<void> {
    await this.session.query(
      `INSERT INTO ${this.table} (phase, name, checksum, release, status, statements_done, statements_total, applied_at, duration_ms)
       VALUES ($1, $2, $3, $4, 'applied', $5, $5, now(), $6)`,
      [entry.phase, entry.name, entry.checksum, entry.release, entry.statements, Math.round(entry.durationMs)],
    );
  }

  /** Starts (or resumes) a file run statement by statement; returns how many statements are already done. */
  async beginPartial(entry: { phase: MigrationPhase; name: string; checksum: string; release: string; statements: number }): Promise<number> {
    const [row] = await this.session.query<{ statements_done: number }>(
      `INSERT INTO ${this.table} (phase, name, checksum, release, status, statements_done, statements_total)
       VALUES ($1, $2, $3, $4, 'partial', 0, $5)
       ON CONFLICT (phase, name) DO UPDATE SET release = EXCLUDED.release
       RETURNING statements_done`,
      [entry.phase, entry.name, entry.checksum, entry.release, entry.statements],
    );
    return row?.statements_done ?? 0;
  }

  async recordProgress(phase: MigrationPhase, name: string, statementsDone: number): Promise<void> {
    await this.session.query(`UPDATE ${this.table} SET statements_done = $3 WHERE phase = $1 AND name = $2`, [phase, name, statementsDone]);
  }

  async finishPartial(phase: MigrationPhase, name: string, durationMs: number): Promise<void> {
    await this.session.query(
      `UPDATE ${this.table} SET status = 'applied', applied_at = now(), duration_ms = $3 WHERE phase = $1 AND name = $2`,
      [phase, name, Math.round(durationMs)],
    );
  }
}
