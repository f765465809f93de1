import { quoteIdent, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { columnsAddedToExistingTables } from './added-column.ts';

export const addColumnNotNullNoDefault: Rule = {
  id: 'add-column-not-null-no-default',
  impact: 'existing-rows',
  summary: 'ADD COLUMN … NOT NULL without a DEFAULT',
  check(stmt, ctx) {
    return columnsAddedToExistingTables(stmt, ctx).flatMap(({ command, column }) => {
      const relation = command.relation;
      if (!column.notNull || column.defaultExpr || column.filledBy) return [];
      const name = `${relationName(relation)}.${quoteIdent(column.name)}`;
      return [{
        byte: command.byte,
        message: `adds NOT NULL column ${name} without a default: the live release's INSERTs do not set it and would fail with a not-null violation (and the ALTER itself fails if the table has rows)`,
        hint: 'Give the column a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill it, and enforce NOT NULL in a later release.',
      }];
    });
  },
};
