import type { AlterEnumStmt } from 'libpg-query';
import { as, quoteIdent, strings } from '../ast.ts';
import type { Rule } from '../rule.ts';

export const renameEnumValue: Rule = {
  id: 'rename-enum-value',
  impact: 'breaking',
  summary: "ALTER TYPE … RENAME VALUE while the live release still writes the old value",
  check(stmt) {
    const alter = as<AlterEnumStmt>(stmt.node, 'AlterEnumStmt');
    if (!alter?.oldVal) return [];
    const type = strings(alter.typeName).map(quoteIdent).join('.');
    return [{
      byte: stmt.startByte,
      message: `renames value '${alter.oldVal}' of enum ${type} to '${alter.newVal}' while the live release still writes '${alter.oldVal}'; its writes would fail with "invalid input value for enum"`,
      hint: `Add '${alter.newVal}' with ALTER TYPE … ADD VALUE in expand, move the release and the rows to it, and stop relying on '${alter.oldVal}' in contract.`,
    }];
  },
};
