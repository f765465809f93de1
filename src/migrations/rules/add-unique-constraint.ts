import type { ColumnDef, Constraint } from 'libpg-query';
import { alterTableCommands, as, byteAt, relationName } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

const KINDS: Readonly<Record<string, string>> = {
  CONSTR_UNIQUE: 'UNIQUE',
  CONSTR_PRIMARY: 'PRIMARY KEY',
  CONSTR_EXCLUSION: 'EXCLUDE',
};

export const addUniqueConstraint: Rule = {
  id: 'add-unique-constraint',
  impact: 'blocking',
  summary: 'UNIQUE, PRIMARY KEY or EXCLUDE added directly instead of USING INDEX built concurrently',
  check(stmt, ctx) {
    return alterTableCommands(stmt).flatMap((command) => {
      const { cmd, relation } = command;
      if (isNewTable(ctx, relation)) return [];
      let constraints: Constraint[] = [];
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = as<Constraint>(cmd.def, 'Constraint');
        if (c) constraints = [c];
      } else if (cmd.subtype === 'AT_AddColumn') {
        const def = as<ColumnDef>(cmd.def, 'ColumnDef');
        constraints = (def?.constraints ?? []).map((c) => as<Constraint>(c, 'Constraint')).filter((c): c is Constraint => !!c);
      }
      const table = relationName(relation);
      return constraints
        .filter((c) => KINDS[c.contype ?? ''] && !c.indexname)
        .map((c) => {
          const kind = KINDS[c.contype!];
          const hint = kind === 'EXCLUDE'
            ? 'Exclusion constraints cannot be attached from an existing index; add them while the table is small or empty, or in a maintenance window.'
            : `CREATE UNIQUE INDEX CONCURRENTLY in a migration file of its own, then ALTER TABLE ${table} ADD CONSTRAINT … ${kind} USING INDEX … in the next one.`;
          return {
            byte: c.location !== undefined ? byteAt(stmt, c.location) : command.byte,
            message: `adds a ${kind} constraint to ${table} directly: PostgreSQL builds its index under an ACCESS EXCLUSIVE lock, blocking all reads and writes for the whole build`,
            hint,
          };
        });
    });
  },
};
