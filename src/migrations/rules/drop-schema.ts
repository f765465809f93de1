import type { DropStmt } from 'libpg-query';
import { as } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { droppedNames } from './dropped-names.ts';

export const dropSchema: Rule = {
  id: 'drop-schema',
  impact: 'breaking',
  summary: 'DROP SCHEMA while the live release may still use objects in it',
  check(stmt) {
    const drop = as<DropStmt>(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_SCHEMA') return [];
    const names = droppedNames(drop).map((n) => n.display).join(', ');
    return [{
      byte: stmt.startByte,
      message: `drops schema ${names}${drop.behavior === 'DROP_CASCADE' ? ' and everything in it' : ''}, which the live release may still use`,
      hint: 'Move the release off the schema first, then drop it in a contract migration once no older release is running.',
    }];
  },
};
