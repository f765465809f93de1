import { alterTableCommands, quoteIdent, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const dropNotNull: Rule = {
  id: 'drop-not-null',
  impact: 'breaking',
  summary: 'ALTER COLUMN … DROP NOT NULL while the live release assumes the column is never NULL',
  check(stmt, ctx) {
    return alterTableCommands(stmt)
      .filter(({ cmd, relation }) => cmd.subtype === 'AT_DropNotNull' && !isNewTable(ctx, relation))
      .map((command) => ({
        byte: command.byte,
        message: `drops NOT NULL on ${relationName(command.relation)}.${quoteIdent(command.cmd.name ?? '?')}: the new release may then write NULLs, which the live release does not expect when it reads the column`,
        hint: 'Drop NOT NULL in a contract migration, once no release that assumes the column is never NULL is running.',
      }));
  },
};
