import type { RenameStmt } from 'libpg-query';
import { as, quoteIdent } from '../ast.ts';
import type { Rule } from '../rule.ts';

const OBJECTS: Readonly<Record<string, string>> = {
  OBJECT_SCHEMA: 'schema',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_ATTRIBUTE: 'type attribute',
};

export const renameObject: Rule = {
  id: 'rename-object',
  impact: 'breaking',
  summary: 'renaming a schema, sequence, type or function the live release may use',
  check(stmt) {
    const rename = as<RenameStmt>(stmt.node, 'RenameStmt');
    const what = rename?.renameType ? OBJECTS[rename.renameType] : undefined;
    if (!rename || !what) return [];
    const old = rename.subname ? ` ${quoteIdent(rename.subname)}` : '';
    return [{
      byte: stmt.startByte,
      message: `renames ${what}${old} to ${quoteIdent(rename.newname ?? '?')} while the live release may still use the old name`,
      hint: 'Create the object under its new name in expand, move the release to it, then drop the old one in contract.',
    }];
  },
};
