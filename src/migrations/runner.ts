import type { IndexStmt } from 'libpg-query';
import { formatDuration } from '../config/duration.ts';
import { CutoverError } from '../core/errors.ts';
import { acquireMigrationLock } from './advisory-lock.ts';
import { as, quoteIdent } from './ast.ts';
import type { ResolvedMigrationsConfig } from './config-schema.ts';
import { asServerError, type MigrationDatabase, type SqlSession } from './database.ts';
import type { Finding, LintReport, MigrationPhase } from './finding.ts';
import { Ledger, type LedgerEntry } from './ledger.ts';
import { lintMigrationSet } from './lint.ts';
import { displayPath, readPhaseDir, type MigrationFile } from './migration-files.ts';
import { createPgDatabase } from './pg-database.ts';
import { createPgliteDatabase } from './pglite-database.ts';
import { contractRefusal, rollbackBlock, type ContractRefusal, type ReleaseContext, type RollbackBlock } from './release-gates.ts';
import { loadSqlParser, parseSqlFile, type ParsedStatement } from './sql-file.ts';
import { requiresNoTransaction } from './transaction-needs.ts';

/** Where one migration file stands against the ledger. */
export type MigrationState = 'applied' | 'pending' | 'partial' | 'changed' | 'missing';

export interface MigrationFileStatus {
  phase: MigrationPhase;
  name: string;
  /** `changed`: applied, but the file was edited since; `missing`: in the ledger, not on disk. */
  state: MigrationState;
  release: string | null;
  appliedAt: string | null;
  statementsDone: number | null;
  statementsTotal: number | null;
}

export interface MigrationStatus {
  database: string;
  table: string;
  files: MigrationFileStatus[];
}

export interface AppliedMigration {
  phase: MigrationPhase;
  name: string;
  statements: number;
  /** False for a file that used CONCURRENTLY and so ran statement by statement. */
  transactional: boolean;
  /** For a resumed file: how many statements an earlier run had already applied. */
  resumedAfter: number;
  durationMs: number;
}

export interface MigrationRunResult {
  phase: MigrationPhase;
  dryRun: boolean;
  release: string;
  database: string;
  /** Files applied by this run (empty on a dry run). */
  applied: AppliedMigration[];
  /** Files a dry run would apply, in order (empty on a real run). */
  wouldApply: string[];
  /** Files the ledger already had. */
  alreadyApplied: number;
  /** Lint warnings in the files that were (or would be) applied. */
  warnings: Finding[];
  /** Set when a contract gate was overridden with force. */
  forcedPast?: ContractRefusal;
}

export interface RunOptions {
  dryRun?: boolean;
  /** The release being deployed, or for a manual run the live release; recorded in the ledger. */
  release: string;
  /** Checked between files (and between statements of a CONCURRENTLY file). */
  signal?: AbortSignal;
}

/**
 * Applies expand and contract migrations to one database and answers the release gates.
 * Every method opens its own session and closes it before returning; `close()` then frees
 * the database object (it matters for the embedded PGlite).
 */
export interface MigrationRunner {
  readonly database: string;
  /** Each migration file against the ledger. Read-only and idempotent. */
  status(): Promise<MigrationStatus>;
  /**
   * Lints the pending files of a phase, in that phase, against the server's PostgreSQL
   * version. Read-only. Findings are data.
   */
  lintPending(phase: MigrationPhase): Promise<LintReport>;
  /**
   * Applies pending expand migrations in order. Idempotent: a second run applies nothing.
   * @throws CutoverError('refused') on lint errors or an edited applied file,
   *   ('locked') when another run holds the lock past lockWaitTimeout,
   *   ('operation-failed') when a statement fails (the message names it and the server's error),
   *   ('unreachable') when the database cannot be reached.
   */
  expand(options: RunOptions): Promise<MigrationRunResult>;
  /**
   * Applies pending contract migrations, refused while `gate` shows a color running a
   * release older than the newest expand set, unless `force`. Throws like `expand`.
   */
  contract(options: RunOptions & { gate: ReleaseContext; force?: boolean }): Promise<MigrationRunResult>;
  /** Null when contract may run now, else why not. Read-only. */
  checkContractAllowed(ctx: ReleaseContext): Promise<ContractRefusal | null>;
  /** Null when rolling back to `targetVersion` is safe as far as the ledger knows. Read-only. */
  rollbackBlocker(target: { targetVersion: string; releaseOrder: readonly string[] }): Promise<RollbackBlock | null>;
  /** Releases the database. Idempotent; the runner must not be used afterwards. */
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** Paths in messages are shown relative to this directory. */
  baseDir: string;
  /** Progress lines for people. */
  log?: (line: string) => void;
  /** Overrides the database chosen by the config (tests, or a caller that already has one). */
  database?: MigrationDatabase;
}

export function createMigrationRunner(config: ResolvedMigrationsConfig, options: RunnerOptions): MigrationRunner {
  const db = options.database
    ?? (config.database.kind === 'postgres' ? createPgDatabase(config.database.url) : createPgliteDatabase(config.database.dataDir, { lockWaitMs: config.lockWaitTimeoutMs }));
  const log = options.log ?? (() => {});
  let closed = false;

  const dirOf = (phase: MigrationPhase): string => (phase === 'expand' ? config.expandDir : config.contractDir);

  async function withSession<T>(fn: (session: SqlSession, ledger: Ledger) => Promise<T>): Promise<T> {
    if (closed) throw new CutoverError('internal', 'the migration runner was used after close()');
    const session = await db.openSession();
    try {
      return await fn(session, new Ledger(session, config.table));
    } finally {
      await session.close();
    }
  }

  async function lintPendingWith(session: SqlSession, phase: MigrationPhase, files: MigrationFile[], entries: LedgerEntry[]): Promise<LintReport> {
    await loadSqlParser();
    const pgVersion = await serverMajorVersion(session, config.pgVersion);
    const pending = new Set(pendingFiles(files, entries, phase).map((f) => f.name));
    // Every file is linted so that earlier ones can prove things about later ones; only
    // pending files are reported, since applied ones can no longer change.
    const inputs = files.map((f) => ({ file: displayPath(f.path, options.baseDir), text: f.text, phase }));
    const reported = new Set(files.filter((f) => pending.has(f.name)).map((f) => displayPath(f.path, options.baseDir)));
    const findings = lintMigrationSet(inputs, { pgVersion, lockTimeoutMs: config.lockTimeoutMs }).filter((f) => reported.has(f.file));
    return { files: [...reported], findings };
  }

  async function run(phase: MigrationPhase, opts: RunOptions & { gate?: ReleaseContext; force?: boolean }): Promise<MigrationRunResult> {
    const files = await readPhaseDir(dirOf(phase), phase);
    return withSession(async (session, ledger) => {
      const releaseLock = opts.dryRun ? undefined : await acquireMigrationLock(session, config.table, config.lockWaitTimeoutMs);
      try {
        const entries = await ledger.entries();
        refuseEditedFiles(files, entries, phase);
        let forcedPast: ContractRefusal | undefined;
        if (phase === 'contract' && opts.gate) {
          const refusal = contractRefusal(entries, opts.gate);
          if (refusal && !opts.force) {
            throw new CutoverError('refused', `contract migrations refused: ${refusal.reason}`, { details: { ...refusal } });
          }
          if (refusal) {
            forcedPast = refusal;
            log(`WARNING: --force: running contract migrations although ${refusal.reason}`);
          }
        }
        const report = await lintPendingWith(session, phase, files, entries);
        const errors = report.findings.filter((f) => f.severity === 'error');
        if (errors.length > 0) {
          const list = errors.slice(0, 5).map((f) => `${f.file}:${f.line}:${f.column} [${f.rule}] ${f.message}`).join('\n  ');
          const more = errors.length > 5 ? `\n  … and ${errors.length - 5} more` : '';
          throw new CutoverError('refused', `lint found ${errors.length} error${errors.length === 1 ? '' : 's'} in pending ${phase} migrations; nothing was applied:\n  ${list}${more}`, {
            details: { findings: report.findings },
          });
        }
        const pending = pendingFiles(files, entries, phase);
        const base = {
          phase,
          dryRun: opts.dryRun === true,
          release: opts.release,
          database: db.description,
          alreadyApplied: files.length - pending.length,
          warnings: report.findings,
          forcedPast,
        };
        if (opts.dryRun) return { ...base, applied: [], wouldApply: pending.map((f) => f.name) };
        await ledger.ensure();
        const applied: AppliedMigration[] = [];
        for (const file of pending) {
          if (opts.signal?.aborted) {
            throw new CutoverError('operation-failed', `${phase} migrations aborted before ${file.name}; ${describeApplied(applied)}`, { details: { applied } });
          }
          const done = await applyFile(session, ledger, file, entries, opts, applied);
          applied.push(done);
        }
        if (applied.length === 0) log(`${phase} migrations are up to date (${files.length} applied)`);
        return { ...base, applied, wouldApply: [] };
      } finally {
        await releaseLock?.();
      }
    });
  }

  async function applyFile(
    session: SqlSession, ledger: Ledger, file: MigrationFile, entries: LedgerEntry[], opts: RunOptions, appliedSoFar: AppliedMigration[],
  ): Promise<AppliedMigration> {
    const parsed = parseSqlFile(file.text);
    const transactional = !parsed.statements.some(requiresNoTransaction);
    const label = `${file.phase}/${file.name}`;
    const started = Date.now();
    if (transactional) {
      // The runner provides the transaction, so a file's own BEGIN/COMMIT wrapper is skipped.
      const statements = parsed.statements.filter((s) => !isTransactionWrapper(s));
      log(`applying ${label} (${statements.length} statement${statements.length === 1 ? '' : 's'}, one transaction)`);
      await session.query('BEGIN');
      try {
        await session.query(`SET LOCAL lock_timeout = ${config.lockTimeoutMs}`);
        await session.query(`SET LOCAL statement_timeout = ${config.statementTimeoutMs}`);
        for (const stmt of statements) {
          await runStatement(session, stmt, file, () => `the transaction was rolled back: nothing from ${file.name} was applied; ${describeApplied(appliedSoFar)}`);
        }
        const durationMs = Date.now() - started;
        await ledger.recordApplied({ phase: file.phase, name: file.name, checksum: file.checksum, release: opts.release, statements: statements.length, durationMs });
        await session.query('COMMIT');
        log(`applied ${label} in ${formatDuration(durationMs)}`);
        return { phase: file.phase, name: file.name, statements: statements.length, transactional, resumedAfter: 0, durationMs };
      } catch (err) {
        await session.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }

    const statements = parsed.statements;
    const previous = entries.find((e) => e.phase === file.phase && e.name === file.name);
    log(`applying ${label} (${statements.length} statement${statements.length === 1 ? '' : 's'}, outside a transaction because it uses CONCURRENTLY)`);
    await session.query(`SET lock_timeout = ${config.lockTimeoutMs}`);
    await session.query(`SET statement_timeout = ${config.statementTimeoutMs}`);
    try {
      const resumeAt = await ledger.beginPartial({ phase: file.phase, name: file.name, checksum: file.checksum, release: opts.release, statements: statements.length });
      if (previous && resumeAt > 0) log(`resuming ${label} at statement ${resumeAt + 1} of ${statements.length}`);
      for (let i = resumeAt; i < statements.length; i++) {
        if (opts.signal?.aborted) {
          throw new CutoverError('operation-failed', `${file.phase} migrations aborted in ${file.name} after statement ${i} of ${statements.length}; the ledger records that progress and the next run resumes there`);
        }
        const stmt = statements[i];
        await runStatement(session, stmt, file, async () => {
          const cleanup = await dropInvalidIndex(session, stmt);
          return `this file runs outside a transaction: statements 1-${i} of ${statements.length} are applied and recorded, and the next run resumes at statement ${i + 1}${cleanup}; ${describeApplied(appliedSoFar)}`;
        });
        await assertIndexValid(session, stmt, file, i, statements.length);
        await ledger.recordProgress(file.phase, file.name, i + 1);
      }
      const durationMs = Date.now() - started;
      await ledger.finishPartial(file.phase, file.name, durationMs);
      log(`applied ${label} in ${formatDuration(durationMs)}`);
      return { phase: file.phase, name: file.name, statements: statements.length, transactional, resumedAfter: resumeAt, durationMs };
    } finally {
      await session.query('RESET lock_timeout').catch(() => {});
      await session.query('RESET statement_timeout').catch(() => {});
    }
  }

  return {
    database: db.description,
    async status() {
      const files = [...await readPhaseDir(config.expandDir, 'expand'), ...await readPhaseDir(config.contractDir, 'contract')];
      const entries = await withSession((_, ledger) => ledger.entries());
      const out: MigrationFileStatus[] = files.map((f) => {
        const e = entries.find((x) => x.phase === f.phase && x.name === f.name);
        const state: MigrationState = !e ? 'pending' : e.checksum !== f.checksum ? 'changed' : e.status === 'partial' ? 'partial' : 'applied';
        return {
          phase: f.phase,
          name: f.name,
          state,
          release: e?.release ?? null,
          appliedAt: e?.appliedAt ?? null,
          statementsDone: e?.statementsDone ?? null,
          statementsTotal: e?.statementsTotal ?? null,
        };
      });
      for (const e of entries) {
        if (files.some((f) => f.phase === e.phase && f.name === e.name)) continue;
        out.push({ phase: e.phase, name: e.name, state: 'missing', release: e.release, appliedAt: e.appliedAt, statementsDone: e.statementsDone, statementsTotal: e.statementsTotal });
      }
      return { database: db.description, table: config.table, files: out };
    },
    async lintPending(phase) {
      const files = await readPhaseDir(dirOf(phase), phase);
      return withSession(async (session, ledger) => lintPendingWith(session, phase, files, await ledger.entries()));
    },
    expand: (opts) => run('expand', opts),
    contract: (opts) => run('contract', opts),
    async checkContractAllowed(ctx) {
      return contractRefusal(await withSession((_, ledger) => ledger.entries()), ctx);
    },
    async rollbackBlocker(target) {
      return rollbackBlock(await withSession((_, ledger) => ledger.entries()), target);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}

function pendingFiles(files: MigrationFile[], entries: LedgerEntry[], phase: MigrationPhase): MigrationFile[] {
  return files.filter((f) => {
    const e = entries.find((x) => x.phase === phase && x.name === f.name);
    return !e || e.status === 'partial';
  });
}

function refuseEditedFiles(files: MigrationFile[], entries: LedgerEntry[], phase: MigrationPhase): void {
  for (const f of files) {
    const e = entries.find((x) => x.phase === phase && x.name === f.name);
    if (e && e.checksum !== f.checksum) {
      throw new CutoverError('refused',
        `${phase} migration ${f.name} was edited after it was ${e.status === 'partial' ? 'partly ' : ''}applied during release ${e.release} `
        + `(ledger sha256 ${e.checksum.slice(0, 12)}…, file now ${f.checksum.slice(0, 12)}…); nothing was applied. `
        + (e.status === 'partial'
          ? `Restore it and rerun to finish the remaining statements, or undo statements 1-${e.statementsDone} by hand and delete its row from the ledger`
          : 'Restore the applied version and put the change in a new migration file'),
        { details: { phase, name: f.name, ledgerChecksum: e.checksum, fileChecksum: f.checksum } });
    }
  }
}

function isTransactionWrapper(stmt: ParsedStatement): boolean {
  const kind = as<{ kind?: string }>(stmt.node, 'TransactionStmt')?.kind;
  return kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START' || kind === 'TRANS_STMT_COMMIT';
}

function describeApplied(applied: AppliedMigration[]): string {
  if (applied.length === 0) return 'no earlier file was applied by this run';
  return `applied and recorded by this run before it: ${applied.map((a) => a.name).join(', ')}`;
}

async function runStatement(session: SqlSession, stmt: ParsedStatement, file: MigrationFile, aftermath: () => string | Promise<string>): Promise<void> {
  try {
    await session.query(stmt.text);
  } catch (err) {
    const server = asServerError(err);
    const at = errorPosition(stmt, server.position);
    const firstLine = stmt.text.split('\n')[0];
    const shown = firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine;
    const extra = [server.detail && `detail: ${server.detail}`, server.hint && `server hint: ${server.hint}`].filter(Boolean).join('; ');
    throw new CutoverError('operation-failed',
      `${file.phase} migration ${file.name} failed at line ${at.line}, column ${at.column} (${shown}): ${server.message}`
      + `${server.code ? ` [SQLSTATE ${server.code}]` : ''}${extra ? ` (${extra})` : ''}; ${await aftermath()}`,
      { cause: err, details: { phase: file.phase, file: file.name, line: at.line, column: at.column, statement: stmt.text, sqlstate: server.code, serverMessage: server.message } });
  }
}

/** The server's 1-based character position inside the statement, as a line and column in the file. */
function errorPosition(stmt: ParsedStatement, position: string | undefined): { line: number; column: number } {
  const offset = position ? Number(position) - 1 : NaN;
  if (!Number.isInteger(offset) || offset < 0) return stmt.start;
  const before = stmt.text.slice(0, offset).split('\n');
  return before.length === 1
    ? { line: stmt.start.line, column: stmt.start.column + [...before[0]].length }
    : { line: stmt.start.line + before.length - 1, column: [...before[before.length - 1]].length + 1 };
}

function indexTarget(stmt: ParsedStatement): { name: string; schema: string | null } | undefined {
  const index = as<IndexStmt>(stmt.node, 'IndexStmt');
  if (!index?.concurrent || !index.idxname) return undefined;
  return { name: index.idxname, schema: index.relation?.schemaname ?? null };
}

const INVALID_INDEX_SQL = `SELECT n.nspname AS schema, c.relname AS name
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname = $1 AND NOT i.indisvalid
   AND (n.nspname = $2::text OR ($2::text IS NULL AND pg_table_is_visible(c.oid)))`;

/** A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; drop it so a rerun starts clean. */
async function dropInvalidIndex(session: SqlSession, stmt: ParsedStatement): Promise<string> {
  const target = indexTarget(stmt);
  if (!target) return '';
  try {
    const [row] = await session.query<{ schema: string; name: string }>(INVALID_INDEX_SQL, [target.name, target.schema]);
    if (!row) return '';
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(row.schema)}.${quoteIdent(row.name)}`);
    return ` (the invalid index ${row.name} the failed build left behind was dropped)`;
  } catch (err) {
    return ` (the failed build may have left an INVALID index ${target.name}; dropping it failed: ${asServerError(err).message})`;
  }
}

/**
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS` succeeds silently when an invalid index of that
 * name is left from an earlier failed build; treat that as the failure it is.
 */
async function assertIndexValid(session: SqlSession, stmt: ParsedStatement, file: MigrationFile, i: number, total: number): Promise<void> {
  const target = indexTarget(stmt);
  if (!target) return;
  const [row] = await session.query<{ schema: string; name: string }>(INVALID_INDEX_SQL, [target.name, target.schema]);
  if (!row) return;
  await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(row.schema)}.${quoteIdent(row.name)}`);
  throw new CutoverError('operation-failed',
    `${file.phase} migration ${file.name} statement ${i + 1} of ${total} left index ${row.name} INVALID (an earlier failed build, kept by IF NOT EXISTS); `
    + 'it was dropped, and the next run rebuilds it',
    { details: { phase: file.phase, file: file.name, index: row.name } });
}

async function serverMajorVersion(session: SqlSession, fallback: number): Promise<number> {
  try {
    const [row] = await session.query<{ server_version_num: string }>('SHOW server_version_num');
    const num = Number(row?.server_version_num);
    return Number.isFinite(num) && num > 0 ? Math.floor(num / 10_000) : fallback;
  } catch {
    return fallback;
  }
}
