import type { Rule } from '../rule.ts';
import { takesTableLock } from '../table-locks.ts';

export const missingLockTimeout: Rule = {
  id: 'missing-lock-timeout',
  impact: 'advisory',
  summary: 'a table lock taken with no lock_timeout in force (the runner sets one unless configured to 0)',
  check(stmt, ctx) {
    // Once per file: the first unguarded lock is the one to fix, the rest follow from it.
    if (ctx.file.lockTimeoutMs > 0 || ctx.file.unguardedLocksBefore > 0 || !takesTableLock(stmt, ctx)) return [];
    return [{
      byte: stmt.startByte,
      message: 'takes a table lock with no lock_timeout in force: if an open transaction holds a conflicting lock this statement waits indefinitely, and every later query on the table queues behind it',
      hint: "Keep migrations.lockTimeout in cutover.yaml above 0 (default 5s), or put SET lock_timeout = '5s' at the top of the file.",
    }];
  },
};
