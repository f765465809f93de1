import type { DropStmt } from 'libpg-query';
import { as } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { droppedNames } from './dropped-names.ts';

export const dropIndexNotConcurrently: Rule = {
  id: 'drop-index-not-concurrently',
  impact: 'blocking',
  summary: 'DROP INDEX without CONCURRENTLY',
  check(stmt, ctx) {
    const drop = as<DropStmt>(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return [];
    const names = droppedNames(drop).filter((n) => !ctx.file.createdIndexes.has(n.relation.relname));
    if (names.length === 0) return [];
    const list = names.map((n) => n.display).join(', ');
    return [{
      byte: stmt.startByte,
      message: `drops index ${list} without CONCURRENTLY: it takes an ACCESS EXCLUSIVE lock on the index's table, so every read and write of that table queues behind it (and behind any open transaction it waits for)`,
      hint: `DROP INDEX CONCURRENTLY ${names.length === 1 ? list : '…'} (one index per statement); cutover runs such a file outside a transaction.`,
    }];
  },
};
