import { parsePlPgSQLSync, parseSync, type A_Const, type CreateFunctionStmt, type DefElem, type DoStmt, type Node, type ResTarget, type SelectStmt } from 'libpg-query';
import { as } from './ast.ts';
import { SourceText, type Position } from './source-text.ts';
import { gapComments, newStatement, type ParsedStatement, type SqlComment } from './sql-file.ts';

/** The SQL inside a DO block or a PL/pgSQL or SQL function, as far as it can be known before it runs. */
export interface EmbeddedSql {
  /** `DO` runs during the migration; a function's body only runs when something calls it. */
  readonly kind: 'do' | 'function';
  /**
   * Its static SQL statements, positioned in the file, in source order. They always run
   * inside a transaction (`inTransactionBlock`), and carry the comments above them in the body.
   */
  readonly statements: readonly ParsedStatement[];
  /** What cannot be known without running the code (EXECUTE of a computed string, another language). */
  readonly unknowns: ReadonlyArray<{ byte: number; message: string }>;
  /**
   * Statements PostgreSQL refuses where they stand, so the CREATE itself fails: DDL and other
   * utility statements in a SQL-standard `BEGIN ATOMIC` body. They are not in `statements`.
   */
  readonly refused: ReadonlyArray<{ byte: number; message: string }>;
}

const cache = new WeakMap<ParsedStatement, EmbeddedSql | null>();

/**
 * The statements inside a `DO` block or a `CREATE FUNCTION/PROCEDURE`, or undefined for any
 * other statement. A PL/pgSQL body is read with libpg-query's PL/pgSQL parser; a `LANGUAGE sql`
 * body with its SQL parser, whether quoted (`AS $$ … $$`, `AS '…'`) or SQL-standard
 * (`BEGIN ATOMIC … END`). Each static statement (including `EXECUTE 'constant'`) becomes a
 * ParsedStatement at its real place in the file, so the rules check it as they check a
 * top-level one. Never throws.
 */
export function embeddedSql(stmt: ParsedStatement): EmbeddedSql | undefined {
  let found = cache.get(stmt);
  if (found === undefined) {
    found = read(stmt) ?? null;
    cache.set(stmt, found);
  }
  return found ?? undefined;
}

interface Body {
  kind: EmbeddedSql['kind'];
  language: string;
  /** Where the quoted body starts in the statement's text (a string index), if it could be found. */
  optionsAt: number | undefined;
  /** The body as the server reads it (quotes removed): the `AS` string, or undefined for BEGIN ATOMIC. */
  value: string | undefined;
  /** The statements of a SQL-standard `BEGIN ATOMIC` body, already parsed with the CREATE. */
  atomic: Node[] | undefined;
}

function bodyOf(stmt: ParsedStatement): Body | undefined {
  const doStmt = as<DoStmt>(stmt.node, 'DoStmt');
  const fn = as<CreateFunctionStmt>(stmt.node, 'CreateFunctionStmt');
  const options = (doStmt?.args ?? fn?.options ?? []).map((n) => as<DefElem>(n, 'DefElem')).filter((d): d is DefElem => !!d);
  if (!doStmt && !fn) return undefined;
  const language = as<{ sval?: string }>(options.find((o) => o.defname === 'language')?.arg, 'String')?.sval?.toLowerCase() ?? (doStmt ? 'plpgsql' : 'sql');
  const as_ = options.find((o) => o.defname === 'as');
  if (!as_) {
    // A SQL-standard body: BEGIN ATOMIC holds a list of statements; `RETURN expr` holds none.
    const list = as<{ items?: Node[] }>(fn?.sql_body as Node | undefined, 'List')?.items?.[0];
    const atomic = as<{ items?: Node[] }>(list, 'List')?.items;
    return atomic ? { kind: 'function', language: 'sql', optionsAt: undefined, value: undefined, atomic } : undefined;
  }
  const value = as<{ items?: Node[] }>(as_.arg, 'List')?.items?.map((n) => as<{ sval?: string }>(n, 'String')?.sval);
  return {
    kind: doStmt ? 'do' : 'function', language, optionsAt: indexOfByte(stmt, byteOf(stmt, as_.location)),
    value: value?.length === 1 ? value[0] : as<{ sval?: string }>(as_.arg, 'String')?.sval, atomic: undefined,
  };
}

function read(stmt: ParsedStatement): EmbeddedSql | undefined {
  const body = bodyOf(stmt);
  if (!body) return undefined;
  if (body.atomic) return readAtomicBody(stmt, body.atomic);
  if (body.language === 'sql' && body.kind === 'function') return readSqlBody(stmt, body);
  if (body.language !== 'plpgsql') {
    // Only DO blocks run during the migration; a function in another language (C, plpython) is left alone.
    return body.kind === 'do'
      ? { kind: 'do', statements: [], unknowns: [{ byte: stmt.startByte, message: `DO block in ${body.language}: cutover reads only PL/pgSQL, so nothing inside was checked for locks or breaking changes` }], refused: [] }
      : undefined;
  }
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(stmt.text);
  } catch (err) {
    const what = body.kind === 'do' ? 'DO block' : 'function body';
    return { kind: body.kind, statements: [], unknowns: [{ byte: stmt.startByte, message: `the PL/pgSQL of this ${what} does not parse (${errorText(err)}), so nothing inside was checked; PostgreSQL would refuse it too` }], refused: [] };
  }
  const located = locateBody(stmt, body.optionsAt);
  const found: Found[] = [];
  collect(tree, found);
  const statements: ParsedStatement[] = [];
  const unknowns: Array<{ byte: number; message: string }> = [];
  const local = new SourceText(stmt.text);
  let gapFrom = located ? Buffer.byteLength(stmt.text.slice(0, located.start)) : 0;
  for (const item of found.sort((a, b) => a.lineno - b.lineno)) {
    const at = located ? positionInBody(stmt.text, located, item) : undefined;
    const byte = stmt.startByte + (at === undefined ? 0 : Buffer.byteLength(stmt.text.slice(0, at)));
    if (item.kind === 'dynamic') {
      const constant = constantString(item.query);
      if (constant === undefined) {
        unknowns.push({ byte, message: 'EXECUTE of a string built at run time: cutover cannot know the statement, so it was not checked for locks or breaking changes' });
        continue;
      }
      item.query = constant.text;
      item.skip = constant.skip;
    }
    const sqlByte = byte + item.skip;
    const placed = placeStatements(stmt, local, item.query, (offset) => sqlByte + offset, gapFrom, statements);
    if (placed.error !== undefined) {
      unknowns.push({ byte: sqlByte, message: `this statement does not parse (${placed.error}), so it was not checked` });
      continue;
    }
    gapFrom = placed.gapFrom;
  }
  return { kind: body.kind, statements: statements.sort((a, b) => a.startByte - b.startByte), unknowns, refused: [] };
}

/**
 * A quoted `LANGUAGE sql` body. The server runs the `AS` string as SQL when the function is
 * called, so it is parsed as SQL, and each offset in it is traced back through the quoting to
 * the file (a dollar-quoted body is verbatim; a single-quoted one has its quotes doubled).
 */
function readSqlBody(stmt: ParsedStatement, body: Body): EmbeddedSql {
  const located = locateBody(stmt, body.optionsAt);
  const value = body.value ?? '';
  const sourceAt = located ? sourceOffsets(stmt.text, located, value) : undefined;
  const bodyByte = stmt.startByte + (located ? Buffer.byteLength(stmt.text.slice(0, located.start)) : 0);
  const statements: ParsedStatement[] = [];
  const local = new SourceText(stmt.text);
  const placed = placeStatements(stmt, local, value, (offset) => bodyByte + (sourceAt?.(offset) ?? offset), bodyByte - stmt.startByte, statements);
  if (placed.error !== undefined) {
    return { kind: 'function', statements: [], unknowns: [{ byte: stmt.startByte, message: `the SQL of this function body does not parse (${placed.error}), so nothing inside was checked; PostgreSQL would refuse it too` }], refused: [] };
  }
  return { kind: 'function', statements, unknowns: [], refused: [] };
}

/** What a SQL-standard body may hold: PostgreSQL refuses any utility statement there at CREATE. */
const ATOMIC_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'ReturnStmt']);

/**
 * A `BEGIN ATOMIC … END` body. Its statements were parsed with the CREATE (their locations are
 * the CREATE's); only where each one starts and ends is taken from the tokens, which separate
 * them with semicolons.
 */
function readAtomicBody(stmt: ParsedStatement, nodes: Node[]): EmbeddedSql {
  const tokens = stmt.tokens;
  const atomicAt = tokens.findIndex((t, i) => i > 0 && t.text.toUpperCase() === 'ATOMIC' && tokens[i - 1].text.toUpperCase() === 'BEGIN');
  const last = tokens.length - 1;
  const pieces: Array<{ from: number; to: number }> = [];
  let from = atomicAt + 1;
  for (let i = atomicAt + 1; atomicAt >= 0 && i < last; i++) {
    if (tokens[i].text !== ';') continue;
    if (i > from) pieces.push({ from: tokens[from].start, to: tokens[i - 1].end });
    from = i + 1;
  }
  // The tokens and the parser must agree on how many statements there are, or nothing is placed.
  if (atomicAt < 0 || tokens[last]?.text.toUpperCase() !== 'END' || pieces.length !== nodes.length) {
    return { kind: 'function', statements: [], unknowns: [{ byte: stmt.startByte, message: 'cutover could not find the statements of this BEGIN ATOMIC body, so nothing inside was checked' }], refused: [] };
  }
  const local = new SourceText(stmt.text);
  const statements: ParsedStatement[] = [];
  const refused: Array<{ byte: number; message: string }> = [];
  let gapFrom = tokens[atomicAt].end - stmt.startByte;
  pieces.forEach((piece, k) => {
    const localFrom = piece.from - stmt.startByte;
    const text = sliceBytes(stmt.text, localFrom, piece.to - stmt.startByte);
    const kind = Object.keys(nodes[k])[0] ?? 'unknown';
    if (!ATOMIC_STATEMENTS.has(kind)) {
      const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
      refused.push({ byte: piece.from, message: `PostgreSQL refuses "${shown}" in a BEGIN ATOMIC body (only SELECT, INSERT, UPDATE, DELETE and MERGE may stand there: "not yet supported in unquoted SQL function body"), so this CREATE fails` });
    } else {
      statements.push(newStatement({
        index: stmt.index, node: nodes[k], kind, locationBase: stmt.locationBase,
        startByte: piece.from, endByte: piece.to, start: filePosition(stmt, local.position(localFrom)), text,
        inTransactionBlock: true, leadingComments: leadingComments(stmt, local, gapFrom, localFrom),
      }));
    }
    gapFrom = piece.to - stmt.startByte;
  });
  return { kind: 'function', statements, unknowns: [], refused };
}

/**
 * Parses `sql` (SQL found inside the statement's text) and adds its statements to `out`, each
 * placed in the file by `fileByte` (an offset in `sql` to a byte of the file). `gapFrom` is
 * where, in the statement's text, the stretch of comments before the first one begins; the
 * result says where the last one ended, or why `sql` does not parse.
 */
function placeStatements(
  stmt: ParsedStatement, local: SourceText, sql: string, fileByte: (offset: number) => number, gapFrom: number, out: ParsedStatement[],
): { gapFrom: number; error?: undefined } | { error: string } {
  let parsed: ReturnType<typeof parseSync>;
  try {
    parsed = parseSync(sql);
  } catch (err) {
    return { error: errorText(err) };
  }
  for (const raw of parsed.stmts ?? []) {
    const offset = raw.stmt_location ?? 0;
    const text = sliceBytes(sql, offset, raw.stmt_len ? offset + raw.stmt_len : undefined).trim().replace(/;$/, '').trimEnd();
    const startByte = fileByte(offset);
    const localFrom = startByte - stmt.startByte;
    out.push(newStatement({
      index: stmt.index,
      node: raw.stmt as Node,
      kind: Object.keys(raw.stmt ?? {})[0] ?? 'unknown',
      // Exact up to the statement's first doubled quote, if its body was single-quoted.
      locationBase: startByte - offset,
      startByte,
      endByte: fileByte(offset + Buffer.byteLength(text)),
      start: filePosition(stmt, local.position(localFrom)),
      text,
      // A DO block and a function always run inside a transaction.
      inTransactionBlock: true,
      leadingComments: leadingComments(stmt, local, gapFrom, localFrom),
    }));
    gapFrom = fileByte(offset + Buffer.byteLength(text)) - stmt.startByte;
  }
  return { gapFrom };
}

/** The comments above a statement in a body: those above the block, then those in the body before it. */
function leadingComments(stmt: ParsedStatement, local: SourceText, gapFrom: number, localFrom: number): SqlComment[] {
  return [
    ...stmt.leadingComments,
    ...gapComments(local, Math.min(gapFrom, localFrom), localFrom).map((c) => ({ ...c, startByte: c.startByte + stmt.startByte, start: filePosition(stmt, c.start) })),
  ];
}

/**
 * Maps a byte offset in a quoted body's value to a byte offset from where the body starts in
 * the statement's text, or undefined when the quoting cannot be undone exactly (an E'' string
 * with escapes): then offsets are taken as they are, off by a few characters at most.
 */
function sourceOffsets(text: string, body: { start: number; verbatim: boolean }, value: string): ((offset: number) => number) | undefined {
  if (body.verbatim) return text.startsWith(value, body.start) ? (offset) => offset : undefined;
  const valueToSource: number[] = [];
  let source = 0;
  let i = body.start;
  let rebuilt = '';
  while (i < text.length && rebuilt.length < value.length) {
    const doubled = text[i] === "'" && text[i + 1] === "'";
    const char = doubled ? "'" : text[i] === "'" ? undefined : String.fromCodePoint(text.codePointAt(i)!);
    if (char === undefined) break;
    for (let b = 0; b < Buffer.byteLength(char); b++) valueToSource.push(source + b);
    rebuilt += char;
    const taken = doubled ? 2 : char.length;
    source += Buffer.byteLength(text.slice(i, i + taken));
    i += taken;
  }
  if (rebuilt !== value) return undefined;
  valueToSource.push(source);
  return (offset) => valueToSource[Math.min(offset, valueToSource.length - 1)];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Found {
  kind: 'static' | 'dynamic';
  lineno: number;
  query: string;
  /** Bytes from where the statement's text starts in the file to where its SQL starts (inside quotes). */
  skip: number;
}

/** PL/pgSQL statements that hold SQL: static ones, and EXECUTE (a string that may be a constant). */
const STATIC = new Set(['PLpgSQL_stmt_execsql', 'PLpgSQL_stmt_call']); // CALL and a nested DO are stmt_call
const DYNAMIC = new Set(['PLpgSQL_stmt_dynexecute', 'PLpgSQL_stmt_dynfors', 'PLpgSQL_stmt_return_query', 'PLpgSQL_stmt_open']);

function collect(node: unknown, out: Found[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'PLpgSQL_expr') continue;
    const fields = value as { lineno?: number; sqlstmt?: unknown; expr?: unknown; query?: unknown; dynquery?: unknown };
    if (STATIC.has(key)) {
      const query = exprText(fields.sqlstmt ?? fields.expr);
      if (query !== undefined) out.push({ kind: 'static', lineno: fields.lineno ?? 1, query, skip: 0 });
    } else if (DYNAMIC.has(key)) {
      const dynamic = exprText(key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors' ? fields.query : fields.dynquery);
      if (dynamic !== undefined) out.push({ kind: 'dynamic', lineno: fields.lineno ?? 1, query: dynamic, skip: 0 });
    }
    collect(value, out);
  }
}

function exprText(expr: unknown): string | undefined {
  return (expr as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
}

/**
 * The SQL an EXECUTE runs when its argument is one string constant, and how far into the
 * argument's text that SQL starts (past the opening quote); undefined when it is computed.
 */
function constantString(expr: string): { text: string; skip: number } | undefined {
  let value: string | undefined;
  try {
    const select = as<SelectStmt>(parseSync(`SELECT ${expr}`).stmts?.[0]?.stmt, 'SelectStmt');
    const targets = select?.targetList ?? [];
    const constant = targets.length === 1 ? as<A_Const>(as<ResTarget>(targets[0], 'ResTarget')?.val, 'A_Const') : undefined;
    value = constant?.sval?.sval;
  } catch {
    return undefined;
  }
  if (value === undefined) return undefined;
  const trimmed = expr.trimStart();
  const lead = expr.length - trimmed.length;
  const dollar = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(trimmed)?.[0];
  const open = dollar ?? (/^[Ee]'/.test(trimmed) ? "E'" : "'");
  // Doubled quotes or escapes shift what follows by a few characters; the statement's start stays right.
  return { text: value, skip: Buffer.byteLength(expr.slice(0, lead)) + Buffer.byteLength(open) };
}

/** Where the body text starts in the statement (after its opening quote), and whether it is verbatim. */
function locateBody(stmt: ParsedStatement, from: number | undefined): { start: number; verbatim: boolean } | undefined {
  const rest = stmt.text.slice(from ?? 0);
  const quote = /\$([A-Za-z_][A-Za-z_0-9]*)?\$|[Ee]?'/.exec(rest);
  if (!quote) return undefined;
  return { start: (from ?? 0) + quote.index + quote[0].length, verbatim: quote[0].startsWith('$') };
}

/**
 * The string index in the statement's text of a PL/pgSQL statement: PL/pgSQL reports only its
 * line in the body, so the statement's own text is looked for from the start of that line.
 * SELECT … INTO keeps its length (INTO is blanked) and INSERT … RETURNING … INTO drops a tail,
 * so the text up to the first blank is enough to find it.
 */
function positionInBody(text: string, body: { start: number; verbatim: boolean }, item: Found): number {
  let lineStart = body.start;
  for (let line = 1; line < item.lineno; line++) {
    const next = text.indexOf('\n', lineStart);
    if (next < 0) break;
    lineStart = next + 1;
  }
  const head = item.query.trimStart().split(/\s/, 1)[0];
  const exact = text.indexOf(item.query, lineStart);
  if (exact >= 0 && !text.slice(lineStart, exact).includes('\n')) return exact;
  const byHead = head ? text.indexOf(head, lineStart) : -1;
  if (byHead >= 0) return byHead;
  return lineStart + (/^[ \t]*/.exec(text.slice(lineStart))?.[0].length ?? 0);
}

function byteOf(stmt: ParsedStatement, location: number | undefined): number | undefined {
  return typeof location === 'number' && location >= 0 ? stmt.locationBase + location : undefined;
}

/** The string index in the statement's text of a byte offset in the file. */
function indexOfByte(stmt: ParsedStatement, byte: number | undefined): number | undefined {
  if (byte === undefined || byte < stmt.startByte) return undefined;
  return Buffer.from(stmt.text, 'utf8').subarray(0, byte - stmt.startByte).toString('utf8').length;
}

function sliceBytes(text: string, from: number, to: number | undefined): string {
  return Buffer.from(text, 'utf8').subarray(from, to).toString('utf8');
}

/** A position inside the statement's text, as a line and column in the file. */
function filePosition(stmt: ParsedStatement, local: Position): Position {
  return local.line === 1
    ? { line: stmt.start.line, column: stmt.start.column + local.column - 1 }
    : { line: stmt.start.line + local.line - 1, column: local.column };
}
