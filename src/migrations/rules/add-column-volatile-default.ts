import { calledFunctions, quoteIdent, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { columnsAddedToExistingTables } from './added-column.ts';
import { VOLATILE_FUNCTIONS } from './volatility.ts';

const HINT = 'Add the column with no default (or a constant one), then SET DEFAULT in a separate statement and backfill existing rows in batches.';

export const addColumnVolatileDefault: Rule = {
  id: 'add-column-volatile-default',
  impact: 'blocking',
  summary: 'ADD COLUMN whose value must be computed per row (volatile default, serial, identity, stored generated): a table rewrite',
  check(stmt, ctx) {
    return columnsAddedToExistingTables(stmt, ctx).flatMap(({ command, column }) => {
      const relation = command.relation;
      const table = relationName(relation);
      const name = `${table}.${quoteIdent(column.name)}`;
      const rewrite = `PostgreSQL rewrites every row of ${table} under an ACCESS EXCLUSIVE lock, blocking all reads and writes until it finishes`;
      if (column.filledBy) {
        return [{
          byte: command.byte,
          message: `adds ${column.filledBy} ${name}: to fill existing rows ${rewrite}`,
          hint: column.filledBy === 'stored generated column'
            ? 'Add a plain nullable column, keep it up to date with a trigger, and backfill existing rows in batches (or use a VIRTUAL generated column on PostgreSQL 18+).'
            : 'Add a plain nullable column, create the sequence and SET DEFAULT nextval(…) separately, then backfill existing rows in batches.',
        }];
      }
      if (!column.defaultExpr) return [];
      const volatile = calledFunctions(column.defaultExpr).filter((f) => VOLATILE_FUNCTIONS.has(f));
      if (volatile.length > 0) {
        return [{ byte: command.byte, message: `adds column ${name} with the volatile default ${volatile[0]}(): ${rewrite}`, hint: HINT }];
      }
      if (ctx.pgVersion < 11) {
        return [{ byte: command.byte, message: `adds column ${name} with a default: before PostgreSQL 11 any default makes ${rewrite}`, hint: HINT }];
      }
      return [];
    });
  },
};
