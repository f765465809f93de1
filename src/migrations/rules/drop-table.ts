import type { DropStmt } from 'libpg-query';
import { as } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';
import { droppedNames } from './dropped-names.ts';

export const dropTable: Rule = {
  id: 'drop-table',
  impact: 'breaking',
  summary: 'DROP TABLE while the live release may still query it',
  check(stmt, ctx) {
    const drop = as<DropStmt>(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_TABLE') return [];
    const names = droppedNames(drop).filter((n) => !isNewTable(ctx, n.relation));
    if (names.length === 0) return [];
    return [{
      byte: stmt.startByte,
      message: `drops table ${names.map((n) => n.display).join(', ')} while the live release may still query it; those queries would fail with "relation does not exist"`,
      hint: 'Stop using the table in a release first, then drop it in a contract migration once no older release is running.',
    }];
  },
};
