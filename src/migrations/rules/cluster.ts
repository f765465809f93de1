import type { ClusterStmt } from 'libpg-query';
import { as, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';

export const cluster: Rule = {
  id: 'cluster',
  impact: 'blocking',
  summary: 'CLUSTER',
  check(stmt) {
    const cl = as<ClusterStmt>(stmt.node, 'ClusterStmt');
    if (!cl) return [];
    const target = cl.relation ? relationName(cl.relation) : 'every previously clustered table';
    return [{
      byte: stmt.startByte,
      message: `CLUSTER rewrites ${target} under an ACCESS EXCLUSIVE lock, blocking all reads and writes until it finishes`,
      hint: 'Leave physical reordering out of releases; use an online tool such as pg_repack in a maintenance window.',
    }];
  },
};
