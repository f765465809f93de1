import { readFile } from 'node:fs/promises';
import { relative, isAbsolute } from 'node:path';
import type { AlterTableCmd, AlterTableStmt, Constraint, CreateStmt, CreateTableAsStmt, IndexStmt, VariableSetStmt, A_Const } from 'libpg-query';
import { as } from './ast.ts';
import type { ResolvedMigrationsConfig } from './config-schema.ts';
import type { Finding, LintReport, MigrationPhase, Severity } from './finding.ts';
import { collectSqlFiles, decodeSql, displayPath } from './migration-files.ts';
import type { FileState, RuleContext, RuleImpact } from './rule.ts';
import { FILE_RULES, RULE_IDS, RULES } from './rules/index.ts';
import { embeddedSql } from './plpgsql-body.ts';
import { SchemaKnowledge, tableKey } from './schema-knowledge.ts';
import { loadSqlParser, parseSqlFile, type ParsedStatement } from './sql-file.ts';
import { readSuppressions } from './suppressions.ts';
import { takesTableLock } from './table-locks.ts';
import { requiresNoTransaction } from './transaction-needs.ts';

/** PostgreSQL version lint assumes when neither the caller nor the config names one. */
export const DEFAULT_PG_VERSION = 17;
/** The runner's lock_timeout when no config says otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

export interface LintOptions {
  /** Lint every file in this phase; otherwise by its configured directory, else expand. */
  phase?: MigrationPhase;
  pgVersion?: number;
  config?: ResolvedMigrationsConfig;
  /** Resolves relative paths and is what reported paths are relative to. */
  baseDir?: string;
}

/** One file to lint, already read. */
export interface LintInput {
  /** How the file is named in findings. */
  file: string;
  text: string;
  phase: MigrationPhase;
}

export interface LintSetOptions {
  pgVersion: number;
  /** lock_timeout the runner sets before each file; 0 means none. */
  lockTimeoutMs: number;
}

/**
 * Lints migration files and directories (`*.sql`, in migration order). Files are linted in
 * the order given and what earlier files declare (column types, validated checks) is
 * evidence for later ones.
 * @throws CutoverError('usage') when a path does not exist. Findings are data, never thrown.
 */
export async function lintPaths(paths: readonly string[], opts: LintOptions = {}): Promise<LintReport> {
  await loadSqlParser();
  const baseDir = opts.baseDir ?? process.cwd();
  const files = await collectSqlFiles(paths, baseDir);
  const inputs: LintInput[] = await Promise.all(files.map(async (path) => ({
    file: displayPath(path, baseDir),
    text: decodeSql(await readFile(path)),
    phase: opts.phase ?? phaseOfPath(path, opts.config) ?? 'expand',
  })));
  const findings = lintMigrationSet(inputs, {
    pgVersion: opts.pgVersion ?? opts.config?.pgVersion ?? DEFAULT_PG_VERSION,
    lockTimeoutMs: opts.config?.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  });
  return { files: inputs.map((i) => i.file), findings };
}

/** The phase a file belongs to by the configured directories, if it is inside one. */
export function phaseOfPath(path: string, config: ResolvedMigrationsConfig | undefined): MigrationPhase | undefined {
  if (!config) return undefined;
  const inside = (dir: string): boolean => {
    const rel = relative(dir, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (inside(config.contractDir)) return 'contract';
  if (inside(config.expandDir)) return 'expand';
  return undefined;
}

/**
 * Lints files already in memory, in order, sharing what they declare. Call
 * `loadSqlParser()` first. Findings come back sorted by file order, line and column.
 */
export function lintMigrationSet(inputs: readonly LintInput[], options: LintSetOptions): Finding[] {
  const schema = new SchemaKnowledge();
  return inputs.flatMap((input) => lintOneFile(input, options, schema));
}

function lintOneFile(input: LintInput, options: LintSetOptions, schema: SchemaKnowledge): Finding[] {
  const parsed = parseSqlFile(input.text);
  const findings: Finding[] = [];
  const push = (byte: number, rule: string, impact: RuleImpact, message: string, hint: string): void => {
    const severity = grade(impact, input.phase);
    if (!severity) return;
    const { line, column } = parsed.source.position(byte);
    findings.push({ file: input.file, line, column, rule, severity, message, hint });
  };

  for (const problem of parsed.problems) {
    push(problem.byte, 'parse-error', impactOf('parse-error'),
      `PostgreSQL's grammar rejects this: ${problem.message}. The server would refuse the migration, and nothing in this statement was checked`,
      'Fix the SQL. psql meta-commands such as \\set or \\i are not SQL and cannot run through cutover.');
  }

  const state = {
    createdTables: new Set<string>(),
    createdIndexes: new Set<string>(),
    notValidConstraints: new Set<string>(),
    lockTimeoutMs: options.lockTimeoutMs,
    unguardedLocksBefore: 0,
    runsInTransaction: !parsed.statements.some(requiresNoTransaction),
  };
  const reportedComments = new Set<number>();
  const check = (stmt: ParsedStatement, observeIt: boolean, block?: { kind: 'do' | 'function'; line: number }): void => {
    const file: FileState = { ...state };
    const ctx: RuleContext = { phase: input.phase, pgVersion: options.pgVersion, file, schema };
    const { valid, invalid } = readSuppressions(stmt.leadingComments, RULE_IDS);
    for (const bad of invalid) {
      // A statement inside a DO block shares the comments above the block: report them once.
      if (reportedComments.has(bad.comment.startByte)) continue;
      reportedComments.add(bad.comment.startByte);
      push(bad.comment.startByte, 'invalid-ignore', impactOf('invalid-ignore'),
        `this cutover:ignore comment ${bad.problem}, so it suppresses nothing`,
        'Write "-- cutover:ignore <rule-id> <reason>" on the line directly above the statement.');
    }
    const suppressed = new Set(valid.flatMap((s) => s.rules));
    for (const rule of RULES) {
      if (suppressed.has(rule.id)) continue;
      for (const hit of rule.check(stmt, ctx)) {
        if (!block) push(hit.byte, rule.id, rule.impact, hit.message, hit.hint);
        else push(hit.byte, rule.id, rule.impact, `${hit.message} (inside the ${block.kind === 'do' ? 'DO block' : 'function'} at line ${block.line})`, blockHint(hit.hint));
      }
    }
    if (!observeIt) return;
    if (state.lockTimeoutMs === 0 && takesTableLock(stmt, ctx)) state.unguardedLocksBefore++;
    observe(stmt, state);
    schema.observe(stmt);
  };
  // The static SQL of a DO block or a PL/pgSQL or SQL function gets the same rules, where it
  // is in the file (and so on for a block inside a block). Only a DO block runs now, so only
  // its statements change what later ones see.
  const lintWithBody = (stmt: ParsedStatement, runsNow: boolean, block?: { kind: 'do' | 'function'; line: number }): void => {
    check(stmt, runsNow, block);
    const embedded = embeddedSql(stmt);
    if (!embedded) return;
    for (const refused of embedded.refused) {
      push(refused.byte, 'parse-error', impactOf('parse-error'), refused.message,
        'Only queries may stand in a BEGIN ATOMIC body: put other statements in a quoted body (AS $$ … $$) or in the migration itself.');
    }
    for (const inner of embedded.statements) lintWithBody(inner, runsNow && embedded.kind === 'do', { kind: embedded.kind, line: stmt.start.line });
  };
  for (const stmt of parsed.statements) lintWithBody(stmt, true);
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A hint for a statement inside a DO block or function, where CONCURRENTLY cannot run. */
function blockHint(hint: string): string {
  return /CONCURRENTLY/.test(hint)
    ? `${hint} CONCURRENTLY cannot run inside a DO block or function (they run in a transaction): move the statement out of the block; IF NOT EXISTS / IF EXISTS keep it conditional.`
    : hint;
}

function grade(impact: RuleImpact, phase: MigrationPhase): Severity | null {
  if (impact === 'advisory') return 'warning';
  if (impact === 'breaking') return phase === 'expand' ? 'error' : null;
  return 'error';
}

function impactOf(id: string): RuleImpact {
  return FILE_RULES.find((r) => r.id === id)!.impact;
}

interface MutableFileState {
  createdTables: Set<string>;
  createdIndexes: Set<string>;
  notValidConstraints: Set<string>;
  lockTimeoutMs: number;
}

/** Records what a statement changes about the file being linted. */
function observe(stmt: ParsedStatement, state: MutableFileState): void {
  const create = as<CreateStmt>(stmt.node, 'CreateStmt');
  if (create?.relation) state.createdTables.add(tableKey(create.relation));
  const createAs = as<CreateTableAsStmt>(stmt.node, 'CreateTableAsStmt');
  if (createAs?.into?.rel) state.createdTables.add(tableKey(createAs.into.rel));
  const index = as<IndexStmt>(stmt.node, 'IndexStmt');
  if (index?.idxname) state.createdIndexes.add(index.idxname);
  const alter = as<AlterTableStmt>(stmt.node, 'AlterTableStmt');
  for (const node of alter?.cmds ?? []) {
    const cmd = as<AlterTableCmd>(node, 'AlterTableCmd');
    const constraint = cmd?.subtype === 'AT_AddConstraint' ? as<Constraint>(cmd.def, 'Constraint') : undefined;
    if (constraint?.skip_validation && constraint.conname && alter?.relation) {
      state.notValidConstraints.add(`${tableKey(alter.relation)}/${constraint.conname}`);
    }
  }
  const set = as<VariableSetStmt>(stmt.node, 'VariableSetStmt');
  if (set?.name === 'lock_timeout') {
    state.lockTimeoutMs = set.kind === 'VAR_SET_VALUE' ? settingMs(set) ?? state.lockTimeoutMs : 0;
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A lock_timeout value as PostgreSQL reads it: a bare number is milliseconds. */
function settingMs(set: VariableSetStmt): number | undefined {
  const value = as<A_Const>(set.args?.[0], 'A_Const');
  if (!value) return undefined;
  if (value.ival) return value.ival.ival ?? 0;
  const text = value.sval?.sval?.trim();
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2] ?? 'ms'] : undefined;
}
