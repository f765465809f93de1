import type { DropStmt } from 'libpg-query';
import { as } from '../ast.ts';
import type { Rule } from '../rule.ts';
import { droppedNames } from './dropped-names.ts';

// Objects an application reads or calls by name; indexes, triggers and the like are not
// part of what the live release sees.
const APP_VISIBLE: Readonly<Record<string, string>> = {
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_FOREIGN_TABLE: 'foreign table',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
};

export const dropObject: Rule = {
  id: 'drop-object',
  impact: 'breaking',
  summary: 'DROP VIEW/SEQUENCE/TYPE/FUNCTION … while the live release may still use it',
  check(stmt) {
    const drop = as<DropStmt>(stmt.node, 'DropStmt');
    const what = drop?.removeType ? APP_VISIBLE[drop.removeType] : undefined;
    if (!drop || !what) return [];
    const names = drop.removeType === 'OBJECT_FUNCTION' || drop.removeType === 'OBJECT_PROCEDURE'
      ? ''
      : ` ${droppedNames(drop).map((n) => n.display).join(', ')}`;
    return [{
      byte: stmt.startByte,
      message: `drops ${what}${names}, which the live release may still use`,
      hint: 'Stop using it in a release first, then drop it in a contract migration once no older release is running.',
    }];
  },
};
