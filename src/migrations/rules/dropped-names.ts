import type { DropStmt, Node } from 'libpg-query';
import { as, quoteIdent, strings } from '../ast.ts';
import { tableKey } from '../schema-knowledge.ts';

/** The objects a DROP statement names, with the key tables are tracked under. */
export function droppedNames(drop: DropStmt): Array<{ display: string; key: string; relation: { relname: string; schemaname?: string } }> {
  return (drop.objects ?? []).map((object: Node) => {
    const parts = as<{ items?: Node[] }>(object, 'List') ? strings(as<{ items?: Node[] }>(object, 'List')!.items) : strings([object]);
    const relname = parts[parts.length - 1] ?? '?';
    const schemaname = parts.length > 1 ? parts[parts.length - 2] : undefined;
    return { display: parts.map(quoteIdent).join('.'), key: tableKey({ schemaname, relname }), relation: { relname, schemaname } };
  });
}
