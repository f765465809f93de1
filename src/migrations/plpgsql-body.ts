import { parsePlPgSQLSync, parseSync, type A_Const, type CreateFunctionStmt, type DefElem, type DoStmt, type Node, type ResTarget, type SelectStmt } from 'libpg-query';
import { as } from './ast.ts';
import { SourceText, type Position } from './source-text.ts';
import { gapComments, newStatement, type ParsedStatement } from './sql-file.ts';

/** The SQL inside a DO block or a PL/pgSQL function, as far as it can be known before it runs. */
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
}

const cache = new WeakMap<ParsedStatement, EmbeddedSql | null>();

/**
 * The statements inside a `DO` block or a `CREATE FUNCTION/PROCEDURE … LANGUAGE plpgsql`,
 * read with libpg-query's PL/pgSQL parser, or undefined for any other statement. Each static
 * statement (including `EXECUTE 'constant'`) becomes a ParsedStatement at its real place in the
 * file, so the rules check it as they check a top-level one. Never throws.
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
}

function bodyOf(stmt: ParsedStatement): Body | undefined {
  const doStmt = as<DoStmt>(stmt.node, 'DoStmt');
  const fn = as<CreateFunctionStmt>(stmt.node, 'CreateFunctionStmt');
  const options = (doStmt?.args ?? fn?.options ?? []).map((n) => as<DefElem>(n, 'DefElem')).filter((d): d is DefElem => !!d);
  if (!doStmt && !fn) return undefined;
  const language = as<{ sval?: string }>(options.find((o) => o.defname === 'language')?.arg, 'String')?.sval?.toLowerCase() ?? (doStmt ? 'plpgsql' : 'sql');
  const as_ = options.find((o) => o.defname === 'as');
  // A function without AS (SQL-standard BEGIN ATOMIC) is parsed as part of the statement already.
  if (!as_) return undefined;
  return { kind: doStmt ? 'do' : 'function', language, optionsAt: indexOfByte(stmt, byteOf(stmt, as_.location)) };
}

function read(stmt: ParsedStatement): EmbeddedSql | undefined {
  const body = bodyOf(stmt);
  if (!body) return undefined;
  if (body.language !== 'plpgsql') {
    // Only DO blocks run during the migration; a function in another language is left alone, as before.
    return body.kind === 'do'
      ? { kind: 'do', statements: [], unknowns: [{ byte: stmt.startByte, message: `DO block in ${body.language}: cutover reads only PL/pgSQL, so nothing inside was checked for locks or breaking changes` }] }
      : undefined;
  }
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(stmt.text);
  } catch (err) {
    const what = body.kind === 'do' ? 'DO block' : 'function body';
    return { kind: body.kind, statements: [], unknowns: [{ byte: stmt.startByte, message: `the PL/pgSQL of this ${what} does not parse (${err instanceof Error ? err.message : String(err)}), so nothing inside was checked; PostgreSQL would refuse it too` }] };
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
    let parsed: ReturnType<typeof parseSync>;
    try {
      parsed = parseSync(item.query);
    } catch (err) {
      unknowns.push({ byte: sqlByte, message: `this statement does not parse (${err instanceof Error ? err.message : String(err)}), so it was not checked` });
      continue;
    }
    const localFrom = sqlByte - stmt.startByte;
    const leadingComments = [
      ...stmt.leadingComments,
      ...gapComments(local, Math.min(gapFrom, localFrom), localFrom).map((c) => ({ ...c, startByte: c.startByte + stmt.startByte, start: filePosition(stmt, c.start) })),
    ];
    for (const raw of parsed.stmts ?? []) {
      const offset = raw.stmt_location ?? 0;
      const text = sliceBytes(item.query, offset, raw.stmt_len ? offset + raw.stmt_len : undefined).trim().replace(/;$/, '').trimEnd();
      const startByte = sqlByte + offset;
      statements.push(newStatement({
        index: stmt.index,
        node: raw.stmt as Node,
        kind: Object.keys(raw.stmt ?? {})[0] ?? 'unknown',
        locationBase: sqlByte,
        startByte,
        endByte: startByte + Buffer.byteLength(text),
        start: filePosition(stmt, local.position(startByte - stmt.startByte)),
        text,
        // A DO block and a function always run inside a transaction.
        inTransactionBlock: true,
        leadingComments,
      }));
    }
    gapFrom = localFrom + Buffer.byteLength(item.query);
  }
  return { kind: body.kind, statements: statements.sort((a, b) => a.startByte - b.startByte), unknowns };
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
