import type { TransactionStmt } from 'libpg-query';
import { as } from '../ast.ts';
import type { Rule } from '../rule.ts';

// BEGIN/COMMIT wrappers are fine (the runner supplies the transaction and skips them), and
// savepoints nest inside it. These end or hand off the transaction instead.
const ENDS_TRANSACTION: Readonly<Record<string, string>> = {
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

export const transactionControl: Rule = {
  id: 'transaction-control',
  impact: 'blocking',
  summary: 'ROLLBACK or two-phase commit statements inside a migration file',
  check(stmt) {
    const kind = as<TransactionStmt>(stmt.node, 'TransactionStmt')?.kind;
    const what = kind ? ENDS_TRANSACTION[kind] : undefined;
    if (!what) return [];
    return [{
      byte: stmt.startByte,
      message: `${what} in a migration file ends the transaction cutover runs the file in, so the ledger could record the file as applied while its changes were thrown away`,
      hint: 'Leave transaction control to cutover: each file runs in its own transaction (a BEGIN/COMMIT wrapper is fine), and a failing statement rolls the whole file back.',
    }];
  },
};
