import type { ColumnDef } from 'libpg-query';
import { alterTableCommands, as, normalizeType, quoteIdent, relationName, type NormalizedType } from '../ast.ts';
import { isNewTable, type Rule } from '../rule.ts';

export const changeColumnType: Rule = {
  id: 'change-column-type',
  impact: 'blocking',
  summary: 'ALTER COLUMN … TYPE, unless an earlier linted migration proves it a binary-coercible widening',
  check(stmt, ctx) {
    return alterTableCommands(stmt).flatMap((command) => {
      const { cmd, relation } = command;
      const def = as<ColumnDef>(cmd.def, 'ColumnDef');
      if (cmd.subtype !== 'AT_AlterColumnType' || !def || isNewTable(ctx, relation)) return [];
      const column = cmd.name ?? '?';
      const target = normalizeType(def.typeName);
      const current = ctx.schema.columnType(relation, column);
      const plain = !def.raw_default && !def.collClause;
      if (target && current && plain && isFreeWidening(current, target)) return [];
      const table = relationName(relation);
      const known = current ? ` (from ${current.display})` : '';
      return [{
        byte: command.byte,
        message: `changes the type of ${table}.${quoteIdent(column)}${known} to ${target?.display ?? 'another type'}: unless the change is binary-coercible PostgreSQL rewrites ${table} and rebuilds its indexes under an ACCESS EXCLUSIVE lock, blocking all reads and writes, and the live release may not handle the new type`,
        hint: current
          ? 'Add a column of the new type in expand, keep it in sync and backfill it in batches, move the release to it, then drop the old column in contract.'
          : 'Add a column of the new type in expand, keep it in sync and backfill it in batches, move the release to it, then drop the old column in contract. Widening varchar(n), numeric(p,s) or a time precision needs no rewrite: cutover allows it when an earlier linted migration declares the column\'s current type.',
      }];
    });
  },
};

// interval is left out: its modifier also encodes a field range, which can narrow.
const TIME_TYPES = new Set(['timestamp', 'timestamptz', 'time', 'timetz']);

/**
 * Type changes PostgreSQL makes without rewriting the table or rebuilding indexes:
 * the stored bytes stay valid and every old value fits the new type.
 */
export function isFreeWidening(from: NormalizedType, to: NormalizedType): boolean {
  if (from.array !== to.array) return false;
  const noLimit = to.mods.length === 0;
  if (from.name === 'varchar' && to.name === 'varchar') return noLimit || (from.mods.length > 0 && to.mods[0] >= from.mods[0]);
  if (from.name === 'varchar' && to.name === 'text') return true;
  if (from.name === 'text' && to.name === 'varchar') return noLimit;
  if (from.name === 'varbit' && to.name === 'varbit') return noLimit || (from.mods.length > 0 && to.mods[0] >= from.mods[0]);
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (noLimit) return true;
    if (from.mods.length === 0) return false;
    const [fromPrecision, fromScale = 0] = from.mods;
    const [toPrecision, toScale = 0] = to.mods;
    return toScale === fromScale && toPrecision >= fromPrecision;
  }
  if (TIME_TYPES.has(from.name) && from.name === to.name) {
    // Time precision is capped at 6, which is also what no modifier means.
    const precision = (t: NormalizedType): number => (t.mods.length ? t.mods[0] : 6);
    return precision(to) >= precision(from);
  }
  if (from.name === 'cidr' && to.name === 'inet') return true;
  return from.name === to.name && from.mods.join() === to.mods.join();
}
