import type { IndexStmt } from 'libpg-query';
import { as, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const createIndexNotConcurrently: Rule = {
  id: 'create-index-not-concurrently',
  impact: 'blocking',
  summary: 'CREATE INDEX without CONCURRENTLY on an existing table',
  check(stmt, ctx) {
    const index = as<IndexStmt>(stmt.node, 'IndexStmt');
    if (!index || index.concurrent || isNewTable(ctx, index.relation)) return [];
    const table = relationName(index.relation);
    const name = index.idxname ? ` ${index.idxname}` : '';
    return [{
      byte: stmt.startByte,
      message: `builds index${name} on ${table} without CONCURRENTLY: it holds a SHARE lock on ${table} for the whole build, blocking every INSERT, UPDATE and DELETE (reads go on)`,
      hint: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY${name} ON ${table} …; cutover runs a file that uses CONCURRENTLY outside a transaction and drops the invalid index a failed build leaves behind.`,
    }];
  },
};
