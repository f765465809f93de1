import { calledFunctions, quoteIdent, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { columnsAddedToExistingTables } from './added-column.ts';
import { NON_VOLATILE_FUNCTIONS, VOLATILE_FUNCTIONS } from './volatility.ts';

export const defaultVolatilityUnknown: Rule = {
  id: 'default-volatility-unknown',
  impact: 'advisory',
  summary: 'ADD COLUMN … DEFAULT f() where cutover cannot tell whether f is volatile',
  check(stmt, ctx) {
    return columnsAddedToExistingTables(stmt, ctx).flatMap(({ command, column }) => {
      const relation = command.relation;
      if (!column.defaultExpr || column.filledBy) return [];
      const called = calledFunctions(column.defaultExpr);
      if (called.some((f) => VOLATILE_FUNCTIONS.has(f))) return [];
      const unknown = called.filter((f) => !NON_VOLATILE_FUNCTIONS.has(f));
      if (unknown.length === 0) return [];
      return [{
        byte: command.byte,
        message: `adds column ${relationName(relation)}.${quoteIdent(column.name)} with default ${unknown[0]}(), whose volatility cutover cannot know without a catalog; if it is VOLATILE, PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock`,
        hint: `If ${unknown[0]} is STABLE or IMMUTABLE this is safe: say so with "-- cutover:ignore default-volatility-unknown <reason>". Otherwise add the column without a default and backfill in batches.`,
      }];
    });
  },
};
