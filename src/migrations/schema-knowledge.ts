import type {
  AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, CreateStmt, DropStmt, NullTest, RangeVar, RenameStmt, ColumnRef,
} from 'libpg-query';
import { as, normalizeType, strings, type NormalizedType } from './ast.ts';
import type { ParsedStatement } from './sql-file.ts';

/**
 * What the migrations linted so far say about the schema. cutover has no catalog, so this
 * is the only evidence a rule may use about a table it did not see created: for example,
 * a column's current type (to prove a type change is a free widening) or a validated
 * `CHECK (c IS NOT NULL)` (to prove SET NOT NULL needs no scan).
 * It starts empty for every lint run and learns from each statement after it is checked.
 */
export class SchemaKnowledge {
  private readonly tables = new Map<string, TableFacts>();
  /** Keys of `tables` by bare table name, for matching `t` against `s.t`. */
  private readonly keysByName = new Map<string, Set<string>>();

  /** The column's type as the last linted statement that touched it declared it. */
  columnType(table: RangeVar | undefined, column: string): NormalizedType | undefined {
    return this.find(table)?.columns.get(column);
  }

  /** True when a validated CHECK constraint of the form `column IS NOT NULL` exists. */
  hasValidatedNotNullCheck(table: RangeVar | undefined, column: string): boolean {
    const facts = this.find(table);
    if (!facts) return false;
    return [...facts.notNullChecks.values()].some((c) => c.column === column && c.validated);
  }

  /** Updates what is known from one statement. Idempotent per statement. */
  observe(stmt: ParsedStatement): void {
    const create = as<CreateStmt>(stmt.node, 'CreateStmt');
    if (create?.relation) {
      const facts = this.ensure(create.relation);
      facts.columns.clear();
      facts.notNullChecks.clear();
      for (const element of create.tableElts ?? []) {
        const column = as<ColumnDef>(element, 'ColumnDef');
        const type = normalizeType(column?.typeName);
        if (column?.colname && type) facts.columns.set(column.colname, type);
        const constraint = as<Constraint>(element, 'Constraint');
        if (constraint) this.noteCheck(facts, constraint);
      }
      return;
    }
    const alter = as<AlterTableStmt>(stmt.node, 'AlterTableStmt');
    if (alter?.relation) {
      const facts = this.ensure(alter.relation);
      for (const node of alter.cmds ?? []) {
        const cmd = as<AlterTableCmd>(node, 'AlterTableCmd');
        if (!cmd) continue;
        const columnDef = as<ColumnDef>(cmd.def, 'ColumnDef');
        switch (cmd.subtype) {
          case 'AT_AddColumn': {
            const type = normalizeType(columnDef?.typeName);
            if (columnDef?.colname && type) facts.columns.set(columnDef.colname, type);
            break;
          }
          case 'AT_AlterColumnType': {
            const type = normalizeType(columnDef?.typeName);
            if (cmd.name && type) facts.columns.set(cmd.name, type);
            break;
          }
          case 'AT_DropColumn':
            if (cmd.name) facts.columns.delete(cmd.name);
            break;
          case 'AT_AddConstraint': {
            const constraint = as<Constraint>(cmd.def, 'Constraint');
            if (constraint) this.noteCheck(facts, constraint);
            break;
          }
          case 'AT_ValidateConstraint': {
            const check = cmd.name ? facts.notNullChecks.get(cmd.name) : undefined;
            if (check) check.validated = true;
            break;
          }
          case 'AT_DropConstraint':
            if (cmd.name) facts.notNullChecks.delete(cmd.name);
            break;
        }
      }
      return;
    }
    const rename = as<RenameStmt>(stmt.node, 'RenameStmt');
    if (rename?.relation && rename.newname) {
      const facts = this.find(rename.relation);
      if (!facts) return;
      if (rename.renameType === 'OBJECT_COLUMN' && rename.subname) {
        const type = facts.columns.get(rename.subname);
        facts.columns.delete(rename.subname);
        if (type) facts.columns.set(rename.newname, type);
      } else if (rename.renameType === 'OBJECT_TABLE') {
        this.forget(tableKey(rename.relation));
        this.remember(tableKey({ ...rename.relation, relname: rename.newname }), facts);
      }
      return;
    }
    const drop = as<DropStmt>(stmt.node, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE') {
      for (const object of drop.objects ?? []) {
        const parts = strings(as<{ items?: [] }>(object, 'List')?.items);
        const relname = parts[parts.length - 1];
        const schemaname = parts.length > 1 ? parts[parts.length - 2] : undefined;
        if (relname) this.forget(tableKey({ relname, schemaname }));
      }
    }
  }

  private noteCheck(facts: TableFacts, constraint: Constraint): void {
    if (constraint.contype !== 'CONSTR_CHECK' || !constraint.conname) return;
    const test = as<NullTest>(constraint.raw_expr, 'NullTest');
    const ref = as<ColumnRef>(test?.arg, 'ColumnRef');
    const fields = strings(ref?.fields);
    if (test?.nulltesttype !== 'IS_NOT_NULL' || fields.length !== 1) return;
    facts.notNullChecks.set(constraint.conname, { column: fields[0], validated: constraint.skip_validation !== true });
  }

  private ensure(rv: RangeVar): TableFacts {
    const existing = this.find(rv);
    if (existing) return existing;
    const facts: TableFacts = { columns: new Map(), notNullChecks: new Map() };
    this.remember(tableKey(rv), facts);
    return facts;
  }

  private remember(key: string, facts: TableFacts): void {
    this.tables.set(key, facts);
    const name = key.slice(key.indexOf('.') + 1);
    let keys = this.keysByName.get(name);
    if (!keys) this.keysByName.set(name, (keys = new Set()));
    keys.add(key);
  }

  private forget(key: string): void {
    this.tables.delete(key);
    this.keysByName.get(key.slice(key.indexOf('.') + 1))?.delete(key);
  }

  private find(rv: RangeVar | undefined): TableFacts | undefined {
    if (!rv?.relname) return undefined;
    const exact = this.tables.get(tableKey(rv));
    if (exact) return exact;
    // An unqualified name in one migration and a qualified one in another usually mean the
    // same table (search_path); when only one table by that name is known, take it.
    const sameName = this.keysByName.get(rv.relname);
    if (sameName?.size !== 1) return undefined;
    const [key] = sameName;
    const schema = key.slice(0, key.length - rv.relname.length - 1);
    return schema === '' || !rv.schemaname ? this.tables.get(key) : undefined;
  }
}

interface TableFacts {
  columns: Map<string, NormalizedType>;
  notNullChecks: Map<string, { column: string; validated: boolean }>;
}

export function tableKey(rv: Pick<RangeVar, 'schemaname' | 'relname'>): string {
  return `${rv.schemaname ?? ''}.${rv.relname ?? ''}`;
}
