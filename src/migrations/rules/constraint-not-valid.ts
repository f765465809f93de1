import type { ColumnDef, Constraint } from 'libpg-query';
import { alterTableCommands, as, byteAt, quoteIdent, relationName } from '../ast.ts';
import { isNewTable, type Rule, type RuleHit } from '../rule.ts';
import { tableKey } from '../schema-knowledge.ts';

export const constraintNotValid: Rule = {
  id: 'constraint-not-valid',
  impact: 'blocking',
  summary: 'FOREIGN KEY or CHECK added without NOT VALID, or validated while the ADD still holds its lock',
  check(stmt, ctx) {
    return alterTableCommands(stmt).flatMap((command): RuleHit[] => {
      const { cmd, relation } = command;
      if (isNewTable(ctx, relation)) return [];
      const table = relationName(relation);
      if (cmd.subtype === 'AT_ValidateConstraint' && ctx.file.runsInTransaction
        && ctx.file.notValidConstraints.has(`${tableKey(relation)}/${cmd.name}`)) {
        return [{
          byte: command.byte,
          message: `validates ${quoteIdent(cmd.name ?? '?')} in the same transaction that added it: the ADD's lock on ${table} is held until commit, so the validation scan blocks traffic after all`,
          hint: 'Move VALIDATE CONSTRAINT to a later migration file; each file runs in its own transaction.',
        }];
      }
      const constraints: Constraint[] = [];
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = as<Constraint>(cmd.def, 'Constraint');
        if (c) constraints.push(c);
      } else if (cmd.subtype === 'AT_AddColumn') {
        const def = as<ColumnDef>(cmd.def, 'ColumnDef');
        const inline = (def?.constraints ?? []).map((c) => as<Constraint>(c, 'Constraint')).filter((c): c is Constraint => !!c);
        const hasDefault = inline.some((c) => c.contype === 'CONSTR_DEFAULT');
        // A new column without a default is NULL in every row, so a foreign key on it
        // has nothing to check; a CHECK is still verified against every row.
        constraints.push(...inline.filter((c) => c.contype === 'CONSTR_CHECK' || (c.contype === 'CONSTR_FOREIGN' && hasDefault)));
      }
      return constraints
        .filter((c) => (c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation && c.is_enforced !== false)
        .map((c) => {
          const name = c.conname ? ` ${quoteIdent(c.conname)}` : '';
          const hint = `Add it with NOT VALID (new rows are checked from then on), then run ALTER TABLE ${table} VALIDATE CONSTRAINT … in a later migration file; VALIDATE does not block reads or writes.`;
          return c.contype === 'CONSTR_FOREIGN'
            ? {
              byte: c.location !== undefined ? byteAt(stmt, c.location) : command.byte,
              message: `adds FOREIGN KEY${name} on ${table} without NOT VALID: checking every existing row holds a SHARE ROW EXCLUSIVE lock on ${table} and on ${relationName(c.pktable)}, blocking writes to both until the scan ends`,
              hint,
            }
            : {
              byte: c.location !== undefined ? byteAt(stmt, c.location) : command.byte,
              message: `adds CHECK constraint${name} on ${table} without NOT VALID: PostgreSQL checks every existing row under an ACCESS EXCLUSIVE lock, blocking all reads and writes until the scan ends`,
              hint,
            };
        });
    });
  },
};
