import type { RangeVar } from 'libpg-query';
import type { MigrationPhase } from './finding.ts';
import { tableKey, type SchemaKnowledge } from './schema-knowledge.ts';
import type { ParsedStatement } from './sql-file.ts';

/**
 * How a rule's findings are graded:
 * - `breaking`: the statement breaks the release that is still live. An error in expand,
 *   allowed in contract (the old release is gone by then).
 * - `existing-rows`: the statement fails on, or breaks writes to, a table that already has
 *   rows. Rows exist whatever the phase, so an error in both phases.
 * - `blocking`: the statement takes a lock or rewrite that blocks traffic on an existing
 *   table. An error in both phases.
 * - `advisory`: robustness, style, or something cutover cannot analyse. Always a warning.
 */
export type RuleImpact = 'breaking' | 'existing-rows' | 'blocking' | 'advisory';

/** One place a rule matched, before suppression and grading. */
export interface RuleHit {
  /** Byte offset in the file of the statement or clause at fault. */
  byte: number;
  /** Why this breaks blue/green or blocks traffic, naming the objects involved. */
  message: string;
  /** The safe way to get the same result. */
  hint: string;
}

/** What a rule may know about the file being linted, as of the statement it checks. */
export interface FileState {
  /** Tables created earlier in this file: nothing else uses them yet, so changing them is free. */
  readonly createdTables: ReadonlySet<string>;
  /** Indexes created earlier in this file. */
  readonly createdIndexes: ReadonlySet<string>;
  /** Constraints added NOT VALID earlier in this file, as `table key/constraint`. */
  readonly notValidConstraints: ReadonlySet<string>;
  /** The lock_timeout in force for the statement, in ms; 0 means none. */
  readonly lockTimeoutMs: number;
  /** How many earlier statements in this file took a table lock with no lock_timeout. */
  readonly unguardedLocksBefore: number;
  /** False when the runner will run this file outside a transaction (it uses CONCURRENTLY). */
  readonly runsInTransaction: boolean;
}

export interface RuleContext {
  readonly phase: MigrationPhase;
  readonly pgVersion: number;
  readonly file: FileState;
  readonly schema: SchemaKnowledge;
}

/**
 * A lint rule: a pure function of one statement and what is known before it.
 * `check` never throws for any parse tree libpg-query produces.
 */
export interface Rule {
  /** Short kebab-case id, used in output and in `-- cutover:ignore <id> <reason>`. */
  readonly id: string;
  readonly impact: RuleImpact;
  /** One line for rule listings. */
  readonly summary: string;
  check(stmt: ParsedStatement, ctx: RuleContext): RuleHit[];
}

/** True when the table was created earlier in the same file (matching `t` and `s.t` alike). */
export function isNewTable(ctx: RuleContext, relation: RangeVar | undefined): boolean {
  if (!relation?.relname) return false;
  if (ctx.file.createdTables.has(tableKey(relation))) return true;
  for (const key of ctx.file.createdTables) {
    const dot = key.lastIndexOf('.');
    if (key.slice(dot + 1) !== relation.relname) continue;
    if (dot === 0 || !relation.schemaname) return true;
  }
  return false;
}
