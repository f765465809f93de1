import type { TruncateStmt, RangeVar } from 'libpg-query';
import { as, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';

export const truncateCascade: Rule = {
  id: 'truncate-cascade',
  impact: 'blocking',
  summary: 'TRUNCATE … CASCADE',
  check(stmt) {
    const truncate = as<TruncateStmt>(stmt.node, 'TruncateStmt');
    if (truncate?.behavior !== 'DROP_CASCADE') return [];
    const tables = (truncate.relations ?? []).map((r) => relationName(as<RangeVar>(r, 'RangeVar'))).join(', ');
    return [{
      byte: stmt.startByte,
      message: `TRUNCATE ${tables} CASCADE also empties every table with a foreign key to ${tables}, which the statement does not name, taking an ACCESS EXCLUSIVE lock on each and deleting rows the live release still uses`,
      hint: 'Name every table to empty explicitly, without CASCADE, or DELETE the rows in batches.',
    }];
  },
};
