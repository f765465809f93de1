import type { Rule } from '../rule.ts';
import { usesConcurrently } from '../transaction-needs.ts';

export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  impact: 'blocking',
  summary: 'a CONCURRENTLY statement inside BEGIN … COMMIT',
  check(stmt) {
    if (!stmt.inTransactionBlock || !usesConcurrently(stmt)) return [];
    return [{
      byte: stmt.startByte,
      message: 'runs a CONCURRENTLY statement inside an explicit transaction block: PostgreSQL refuses it ("cannot run inside a transaction block"), so the migration fails here',
      hint: 'Remove the BEGIN/COMMIT around it. cutover runs any file that uses CONCURRENTLY outside a transaction, one statement at a time, and records its progress in the ledger.',
    }];
  },
};
