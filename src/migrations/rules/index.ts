import type { Rule, RuleImpact } from '../rule.ts';
import { addColumnNotNullNoDefault } from './add-column-not-null-no-default.ts';
import { addColumnVolatileDefault } from './add-column-volatile-default.ts';
import { addUniqueConstraint } from './add-unique-constraint.ts';
import { changeColumnType } from './change-column-type.ts';
import { cluster } from './cluster.ts';
import { concurrentlyInTransaction } from './concurrently-in-transaction.ts';
import { constraintNotValid } from './constraint-not-valid.ts';
import { createIndexNotConcurrently } from './create-index-not-concurrently.ts';
import { defaultVolatilityUnknown } from './default-volatility-unknown.ts';
import { doBlock } from './do-block.ts';
import { dropColumn } from './drop-column.ts';
import { dropIndexNotConcurrently } from './drop-index-not-concurrently.ts';
import { dropNotNull } from './drop-not-null.ts';
import { dropObject } from './drop-object.ts';
import { dropSchema } from './drop-schema.ts';
import { dropTable } from './drop-table.ts';
import { missingLockTimeout } from './missing-lock-timeout.ts';
import { reindexNotConcurrently } from './reindex-not-concurrently.ts';
import { renameColumn } from './rename-column.ts';
import { renameEnumValue } from './rename-enum-value.ts';
import { renameObject } from './rename-object.ts';
import { renameTable } from './rename-table.ts';
import { setNotNull } from './set-not-null.ts';
import { transactionControl } from './transaction-control.ts';
import { truncateCascade } from './truncate-cascade.ts';
import { vacuumFull } from './vacuum-full.ts';

/** Every statement rule, in the order their findings are listed for one statement. */
export const RULES: readonly Rule[] = [
  dropColumn, dropTable, dropSchema, dropObject,
  renameColumn, renameTable, renameObject, renameEnumValue,
  changeColumnType,
  addColumnNotNullNoDefault, addColumnVolatileDefault, defaultVolatilityUnknown,
  setNotNull, dropNotNull,
  constraintNotValid, addUniqueConstraint,
  createIndexNotConcurrently, dropIndexNotConcurrently, reindexNotConcurrently, concurrentlyInTransaction, transactionControl,
  truncateCascade, vacuumFull, cluster,
  doBlock, missingLockTimeout,
];

/** Findings the linter itself reports, outside any statement rule. */
export const FILE_RULES: ReadonlyArray<{ id: string; impact: RuleImpact; summary: string }> = [
  { id: 'parse-error', impact: 'blocking', summary: "SQL that PostgreSQL rejects before it runs: its grammar, or a statement a BEGIN ATOMIC body cannot hold" },
  { id: 'invalid-ignore', impact: 'advisory', summary: 'a cutover:ignore comment without a known rule id and a reason' },
];

export const RULE_IDS: ReadonlySet<string> = new Set([...RULES.map((r) => r.id), ...FILE_RULES.map((r) => r.id)]);
