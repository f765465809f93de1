import type { ReindexStmt, DefElem } from 'libpg-query';
import { as, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';

export const reindexNotConcurrently: Rule = {
  id: 'reindex-not-concurrently',
  impact: 'blocking',
  summary: 'REINDEX without CONCURRENTLY',
  check(stmt) {
    const reindex = as<ReindexStmt>(stmt.node, 'ReindexStmt');
    if (!reindex) return [];
    if ((reindex.params ?? []).some((p) => as<DefElem>(p, 'DefElem')?.defname === 'concurrently')) return [];
    const target = reindex.relation ? ` ${relationName(reindex.relation)}` : '';
    return [{
      byte: stmt.startByte,
      message: `REINDEX${target} without CONCURRENTLY blocks writes to the table, and reads that would use the index, until the rebuild ends`,
      hint: 'REINDEX … CONCURRENTLY (PostgreSQL 12+), in a migration file that cutover runs outside a transaction.',
    }];
  },
};
