import type { ColumnDef, Constraint, Node } from 'libpg-query';
import { alterTableCommands, as, normalizeType, type AlterCommand } from '../ast.ts';
import { isNewTable, type RuleContext } from '../rule.ts';
import type { ParsedStatement } from '../sql-file.ts';

/** What an `ADD COLUMN` clause asks PostgreSQL to do, reduced to what the rules need. */
export interface AddedColumn {
  name: string;
  notNull: boolean;
  /** The DEFAULT expression, if any. */
  defaultExpr?: Node;
  /** How the column's existing rows get filled by something other than a constant. */
  filledBy?: 'serial' | 'identity' | 'stored generated column';
  constraints: Constraint[];
}

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

export function describeAddedColumn(def: ColumnDef): AddedColumn {
  const constraints = (def.constraints ?? []).map((c) => as<Constraint>(c, 'Constraint')).filter((c): c is Constraint => !!c);
  const type = normalizeType(def.typeName);
  let filledBy: AddedColumn['filledBy'];
  if (type && SERIAL_TYPES.has(type.name) && !type.array) filledBy = 'serial';
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) filledBy = 'identity';
  // PostgreSQL 18 adds VIRTUAL generated columns, computed on read, which rewrite nothing.
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v')) filledBy = 'stored generated column';
  return {
    name: def.colname ?? '?',
    notNull: constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY'),
    defaultExpr: constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr,
    filledBy,
    constraints,
  };
}

/**
 * Every `ADD COLUMN` clause of `stmt` that touches a table created before this migration set
 * (adding a column to a table made earlier in the same set blocks nobody), with the column
 * described. The shared entry point of the rules about added columns.
 */
export function columnsAddedToExistingTables(stmt: ParsedStatement, ctx: RuleContext): Array<{ command: AlterCommand; column: AddedColumn }> {
  return alterTableCommands(stmt).flatMap((command) => {
    const def = as<ColumnDef>(command.cmd.def, 'ColumnDef');
    if (command.cmd.subtype !== 'AT_AddColumn' || !def || isNewTable(ctx, command.relation)) return [];
    return [{ command, column: describeAddedColumn(def) }];
  });
}
