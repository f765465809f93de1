import type { AlterTableStmt, DropStmt, IndexStmt, RenameStmt, VacuumStmt, DefElem } from 'libpg-query';
import { as } from './ast.ts';
import { isNewTable, type RuleContext } from './rule.ts';
import type { ParsedStatement } from './sql-file.ts';

const LOCKING_DROPS = new Set(['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE']);

/**
 * True when the statement must wait for a lock on a table other transactions may be using,
 * so that without lock_timeout it can queue indefinitely and make everyone queue behind it.
 */
export function takesTableLock(stmt: ParsedStatement, ctx: RuleContext): boolean {
  const alter = as<AlterTableStmt>(stmt.node, 'AlterTableStmt');
  if (alter) return !isNewTable(ctx, alter.relation);
  const rename = as<RenameStmt>(stmt.node, 'RenameStmt');
  if (rename) return rename.relation !== undefined && !isNewTable(ctx, rename.relation);
  const index = as<IndexStmt>(stmt.node, 'IndexStmt');
  if (index) return !index.concurrent && !isNewTable(ctx, index.relation);
  const drop = as<DropStmt>(stmt.node, 'DropStmt');
  if (drop) return !drop.concurrent && LOCKING_DROPS.has(drop.removeType ?? '');
  const vacuum = as<VacuumStmt>(stmt.node, 'VacuumStmt');
  if (vacuum) return (vacuum.options ?? []).some((o) => as<DefElem>(o, 'DefElem')?.defname === 'full');
  return ['TruncateStmt', 'CreateTrigStmt', 'ClusterStmt', 'LockStmt', 'ReindexStmt'].includes(stmt.kind);
}
