import type { RenameStmt } from 'libpg-query';
import { as, quoteIdent, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const renameColumn: Rule = {
  id: 'rename-column',
  impact: 'breaking',
  summary: 'ALTER TABLE … RENAME COLUMN while the live release still uses the old name',
  check(stmt, ctx) {
    const rename = as<RenameStmt>(stmt.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_COLUMN' || isNewTable(ctx, rename.relation)) return [];
    const table = relationName(rename.relation);
    return [{
      byte: stmt.startByte,
      message: `renames column ${table}.${quoteIdent(rename.subname ?? '?')} to ${quoteIdent(rename.newname ?? '?')} while the live release still uses the old name; its queries would fail with "column does not exist"`,
      hint: 'Add the new column in expand and keep both in sync (trigger or dual writes), backfill, move reads to the new column in a release, then drop the old one in contract.',
    }];
  },
};
