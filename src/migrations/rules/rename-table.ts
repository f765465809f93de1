import type { RenameStmt } from 'libpg-query';
import { as, quoteIdent, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

const RELATIONS: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

export const renameTable: Rule = {
  id: 'rename-table',
  impact: 'breaking',
  summary: 'ALTER TABLE … RENAME TO while the live release still uses the old name',
  check(stmt, ctx) {
    const rename = as<RenameStmt>(stmt.node, 'RenameStmt');
    const what = rename?.renameType ? RELATIONS[rename.renameType] : undefined;
    if (!rename || !what || isNewTable(ctx, rename.relation)) return [];
    return [{
      byte: stmt.startByte,
      message: `renames ${what} ${relationName(rename.relation)} to ${quoteIdent(rename.newname ?? '?')} while the live release still queries the old name; those queries would fail with "relation does not exist"`,
      hint: 'Create the new name in expand (a new table kept in sync, or a simple view over the old one), move the release to it, then drop the old name in contract.',
    }];
  },
};
