import type { AlterTableCmd, AlterTableStmt, Node, RangeVar, TypeName } from 'libpg-query';
import type { ParsedStatement } from './sql-file.ts';

/** The payload of a libpg-query node if it is of `kind`, e.g. `as<ColumnDef>(n, 'ColumnDef')`. */
export function as<T>(node: Node | undefined | null, kind: string): T | undefined {
  if (!node || typeof node !== 'object') return undefined;
  return (node as Record<string, unknown>)[kind] as T | undefined;
}

export function nodeKind(node: Node | undefined): string | undefined {
  return node ? Object.keys(node)[0] : undefined;
}

/** The `sval`s of a list of String nodes, e.g. a qualified name. */
export function strings(nodes: Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => as<{ sval?: string }>(n, 'String')?.sval ?? '').filter((s) => s !== '');
}

/** `schema.table` as written, quoted only where needed, for messages. */
export function relationName(rv: RangeVar | undefined): string {
  if (!rv) return '?';
  return [rv.schemaname, rv.relname].filter(Boolean).map((p) => quoteIdent(p!)).join('.');
}

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** A type as PostgreSQL names it internally (`varchar`, `int4`), with its modifiers. */
export interface NormalizedType {
  name: string;
  mods: number[];
  array: boolean;
  /** How to show it in a message, e.g. `varchar(20)`. */
  display: string;
}

const TYPE_ALIASES: Readonly<Record<string, string>> = {
  'character varying': 'varchar',
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  decimal: 'numeric',
  'timestamp with time zone': 'timestamptz',
  'time with time zone': 'timetz',
  'bit varying': 'varbit',
};

export function normalizeType(typeName: TypeName | undefined): NormalizedType | undefined {
  if (!typeName) return undefined;
  const names = strings(typeName.names);
  if (names.length === 0) return undefined;
  const last = names[names.length - 1].toLowerCase();
  const name = TYPE_ALIASES[last] ?? last;
  const mods = (typeName.typmods ?? []).map((m) => {
    const c = as<{ ival?: { ival?: number } }>(m, 'A_Const');
    return c?.ival?.ival ?? 0;
  });
  const array = (typeName.arrayBounds?.length ?? 0) > 0;
  const display = `${name}${mods.length ? `(${mods.join(',')})` : ''}${array ? '[]' : ''}`;
  return { name, mods, array, display };
}

/** Every function called anywhere inside an expression tree, by unqualified name. */
export function calledFunctions(expr: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'FuncCall') {
        const names = strings((child as { funcname?: Node[] }).funcname);
        if (names.length) found.push(names[names.length - 1].toLowerCase());
      }
      visit(child);
    }
  };
  visit(expr);
  return found;
}

/** Byte offset in the file of a `location` inside a statement's tree; the statement start if absent. */
export function byteAt(stmt: ParsedStatement, location: number | undefined): number {
  return typeof location === 'number' && location >= 0 ? stmt.locationBase + location : stmt.startByte;
}

/**
 * Where each subcommand of `ALTER TABLE t cmd1, cmd2, …` starts. libpg-query gives most
 * subcommands no location, so they are found from the tokens: the first starts right after
 * the table name and the rest after each comma outside parentheses. When the count does
 * not match the parse tree, every subcommand falls back to the statement start.
 */
export function alterTableClauseStarts(stmt: ParsedStatement, relation: RangeVar | undefined, count: number): number[] {
  const fallback = Array.from({ length: count }, () => stmt.startByte);
  if (!relation || typeof relation.location !== 'number') return fallback;
  const relStart = stmt.locationBase + relation.location;
  const tokens = stmt.tokens;
  let i = tokens.findIndex((t) => t.start === relStart);
  if (i < 0) return fallback;
  while (tokens[i + 1]?.text === '.' && i + 2 < tokens.length) i += 2;
  if (tokens[i + 1]?.text === '*') i++;
  const starts: number[] = [];
  if (i + 1 < tokens.length) starts.push(tokens[i + 1].start);
  let depth = 0;
  for (let j = i + 1; j < tokens.length; j++) {
    const text = tokens[j].text;
    if (text === '(') depth++;
    else if (text === ')') depth--;
    else if (text === ',' && depth === 0 && j + 1 < tokens.length) starts.push(tokens[j + 1].start);
  }
  return starts.length === count ? starts : fallback;
}

/** One subcommand of an ALTER TABLE, with where it starts in the file. */
export interface AlterCommand {
  readonly cmd: AlterTableCmd;
  readonly relation: RangeVar;
  /** Where the subcommand starts in the file. */
  readonly byte: number;
}

const commandCache = new WeakMap<ParsedStatement, AlterCommand[]>();

/**
 * The subcommands of an `ALTER TABLE` statement; empty for any other statement. Cached per
 * statement, and `byte` is worked out only when read: finding a clause needs the lexer,
 * and most clauses never produce a finding.
 */
export function alterTableCommands(stmt: ParsedStatement): AlterCommand[] {
  const cached = commandCache.get(stmt);
  if (cached) return cached;
  const alter = as<AlterTableStmt>(stmt.node, 'AlterTableStmt');
  if (!alter?.relation || (alter.objtype && alter.objtype !== 'OBJECT_TABLE')) {
    commandCache.set(stmt, []);
    return [];
  }
  const relation = alter.relation;
  const cmds = (alter.cmds ?? []).map((n) => as<AlterTableCmd>(n, 'AlterTableCmd')).filter((c): c is AlterTableCmd => !!c);
  let starts: number[] | undefined;
  const commands = cmds.map((cmd, i) => ({
    cmd,
    relation,
    get byte() {
      starts ??= alterTableClauseStarts(stmt, relation, cmds.length);
      return starts[i];
    },
  }));
  commandCache.set(stmt, commands);
  return commands;
}
