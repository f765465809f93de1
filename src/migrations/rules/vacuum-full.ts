import type { VacuumStmt, DefElem, VacuumRelation } from 'libpg-query';
import { as, relationName } from '../ast.ts';
import type { Rule } from '../rule.ts';

export const vacuumFull: Rule = {
  id: 'vacuum-full',
  impact: 'blocking',
  summary: 'VACUUM FULL',
  check(stmt) {
    const vacuum = as<VacuumStmt>(stmt.node, 'VacuumStmt');
    if (!vacuum?.options?.some((o) => as<DefElem>(o, 'DefElem')?.defname === 'full')) return [];
    const rels = (vacuum.rels ?? []).map((r) => relationName(as<VacuumRelation>(r, 'VacuumRelation')?.relation));
    const target = rels.length ? rels.join(', ') : 'every table in the database';
    return [{
      byte: stmt.startByte,
      message: `VACUUM FULL rewrites ${target} under an ACCESS EXCLUSIVE lock, blocking all reads and writes until it finishes`,
      hint: 'Use plain VACUUM (it does not block traffic), or an online tool such as pg_repack, outside the release.',
    }];
  },
};
