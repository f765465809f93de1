import type { AlterTableCmd, AlterTableStmt, DropStmt, IndexStmt, ReindexStmt, DefElem, VacuumStmt } from 'libpg-query';
import { as } from './ast.ts';
import type { ParsedStatement } from './sql-file.ts';

/**
 * True for statements PostgreSQL refuses to run inside a transaction block: the
 * CONCURRENTLY forms, VACUUM, and database/tablespace/system changes. A file holding one
 * runs outside a transaction, statement by statement.
 */
export function requiresNoTransaction(stmt: ParsedStatement): boolean {
  if (usesConcurrently(stmt)) return true;
  // ANALYZE shares VacuumStmt but may run in a transaction.
  const vacuum = as<VacuumStmt>(stmt.node, 'VacuumStmt');
  if (vacuum) return vacuum.is_vacuumcmd === true;
  return ['CreatedbStmt', 'DropdbStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'AlterSystemStmt'].includes(stmt.kind);
}

/** True for CREATE/DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY and DETACH PARTITION … CONCURRENTLY. */
export function usesConcurrently(stmt: ParsedStatement): boolean {
  const index = as<IndexStmt>(stmt.node, 'IndexStmt');
  if (index) return index.concurrent === true;
  const drop = as<DropStmt>(stmt.node, 'DropStmt');
  if (drop) return drop.concurrent === true;
  const reindex = as<ReindexStmt>(stmt.node, 'ReindexStmt');
  if (reindex) return (reindex.params ?? []).some((p) => as<DefElem>(p, 'DefElem')?.defname === 'concurrently');
  const alter = as<AlterTableStmt>(stmt.node, 'AlterTableStmt');
  if (alter) {
    return (alter.cmds ?? []).some((c) => {
      const cmd = as<AlterTableCmd>(c, 'AlterTableCmd');
      return cmd?.subtype === 'AT_DetachPartition' && as<{ concurrent?: boolean }>(cmd.def, 'PartitionCmd')?.concurrent === true;
    });
  }
  return false;
}
