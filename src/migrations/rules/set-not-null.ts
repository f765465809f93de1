import type { Constraint } from 'libpg-query';
import { alterTableCommands, as, quoteIdent, relationName, strings } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const setNotNull: Rule = {
  id: 'set-not-null',
  impact: 'blocking',
  summary: 'SET NOT NULL on an existing column: a full scan under ACCESS EXCLUSIVE',
  check(stmt, ctx) {
    return alterTableCommands(stmt).flatMap((command) => {
      const { cmd, relation } = command;
      if (isNewTable(ctx, relation)) return [];
      let column: string | undefined;
      if (cmd.subtype === 'AT_SetNotNull') column = cmd.name;
      const constraint = cmd.subtype === 'AT_AddConstraint' ? as<Constraint>(cmd.def, 'Constraint') : undefined;
      // PostgreSQL 18: ALTER TABLE t ADD [CONSTRAINT n] NOT NULL c [NOT VALID].
      if (constraint?.contype === 'CONSTR_NOTNULL' && !constraint.skip_validation) column = strings(constraint.keys)[0];
      if (!column) return [];
      // PostgreSQL 12+ skips the scan when a validated CHECK (c IS NOT NULL) already proves it.
      if (ctx.pgVersion >= 12 && ctx.schema.hasValidatedNotNullCheck(relation, column)) return [];
      const table = relationName(relation);
      return [{
        byte: command.byte,
        message: `sets NOT NULL on ${table}.${quoteIdent(column)}: PostgreSQL scans all of ${table} for NULLs under an ACCESS EXCLUSIVE lock, blocking all reads and writes until the scan ends`,
        hint: `Add CONSTRAINT … CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID, VALIDATE it in a later migration (that does not block writes), then SET NOT NULL, which PostgreSQL 12+ proves from the validated constraint without a scan.`,
      }];
    });
  },
};
