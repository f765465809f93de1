import { alterTableCommands, quoteIdent, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const dropColumn: Rule = {
  id: 'drop-column',
  impact: 'breaking',
  summary: 'ALTER TABLE … DROP COLUMN while the live release may still use the column',
  check(stmt, ctx) {
    return alterTableCommands(stmt)
      .filter(({ cmd, relation }) => cmd.subtype === 'AT_DropColumn' && !isNewTable(ctx, relation))
      .map((command) => {
        const { cmd, relation } = command;
        const column = `${relationName(relation)}.${quoteIdent(cmd.name ?? '?')}`;
        return {
          byte: command.byte,
          message: `drops column ${column} while the live release may still read or write it; its queries would fail with "column does not exist"`,
          hint: 'Stop using the column in a release first, then drop it in a contract migration once no older release is running.',
        };
      });
  },
};
