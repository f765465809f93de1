import { loadModule, parseSync, scanSync, type Node, type RawStmt, type ScanToken } from 'libpg-query';
import { SourceText, type Position } from './source-text.ts';

/** One top-level SQL statement of a migration file, with where it sits in the file. */
export interface ParsedStatement {
  /** 0-based position among the file's statements. */
  index: number;
  /** The libpg-query node, e.g. `{ AlterTableStmt: {...} }`. */
  node: Node;
  /** The node's type name, e.g. `AlterTableStmt`. */
  kind: string;
  /** Add to a `location` inside `node` to get a byte offset in the file. */
  locationBase: number;
  /** Byte range of the statement, without the trailing semicolon. */
  startByte: number;
  endByte: number;
  start: Position;
  /** The statement's own text, ready to send to the server. */
  text: string;
  /** Lexer tokens of the statement (comments excluded), byte offsets in the file; computed on first use. */
  readonly tokens: ScanToken[];
  /** True between an explicit BEGIN/START TRANSACTION and its COMMIT/ROLLBACK. */
  inTransactionBlock: boolean;
  /** Comments between the previous statement and this one, in file order. */
  leadingComments: SqlComment[];
}

export interface SqlComment {
  startByte: number;
  text: string;
  start: Position;
  /** True when no blank line separates this comment (or the comments after it) from the statement. */
  attached: boolean;
}

/** A part of the file the PostgreSQL grammar rejected. */
export interface ParseProblem {
  byte: number;
  position: Position;
  message: string;
}

export interface ParsedFile {
  source: SourceText;
  statements: ParsedStatement[];
  problems: ParseProblem[];
}

let loaded: Promise<void> | undefined;

/** Loads the WASM parser once; every other function here needs it loaded. Idempotent. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

interface RawPiece {
  node: Node;
  locationBase: number;
  startByte: number;
  /** Upper bound of the statement; trailing whitespace and a semicolon are trimmed later. */
  limitByte: number;
  /** Where the stretch of comments and whitespace before the statement begins. */
  gapFrom: number;
}

/**
 * Splits a migration file into statements with the real PostgreSQL 18 grammar.
 * A file the grammar rejects is split at top-level semicolons and each piece is parsed on
 * its own, so one bad statement does not hide the findings in the rest of the file.
 * Call `loadSqlParser()` first. Never throws for bad SQL: problems are returned as data.
 */
export function parseSqlFile(text: string): ParsedFile {
  const source = new SourceText(text);
  const problems: ParseProblem[] = [];
  if (text.trim() === '') return { source, statements: [], problems };
  let pieces: RawPiece[];
  try {
    pieces = [];
    let gapFrom = 0;
    for (const raw of parseSync(text).stmts ?? []) {
      const piece = pieceOf(raw, 0, source.byteLength, gapFrom);
      pieces.push(piece);
      gapFrom = piece.limitByte;
    }
  } catch {
    pieces = reparseInPieces(source, problems);
  }

  const statements: ParsedStatement[] = [];
  let inTransactionBlock = false;
  for (const piece of pieces) {
    const startByte = piece.startByte;
    const raw = source.slice(startByte, piece.limitByte);
    const body = raw.trimEnd().replace(/;$/, '').trimEnd();
    const endByte = startByte + Buffer.byteLength(body);
    const kind = Object.keys(piece.node)[0];
    const txKind = kind === 'TransactionStmt' ? (piece.node as { TransactionStmt: { kind?: string } }).TransactionStmt.kind : undefined;
    if (txKind === 'TRANS_STMT_BEGIN' || txKind === 'TRANS_STMT_START') inTransactionBlock = true;
    statements.push(newStatement({
      index: statements.length,
      node: piece.node,
      kind,
      locationBase: piece.locationBase,
      startByte,
      endByte,
      start: source.position(startByte),
      text: body,
      inTransactionBlock,
      leadingComments: gapComments(source, piece.gapFrom, startByte),
    }));
    if (txKind === 'TRANS_STMT_COMMIT' || txKind === 'TRANS_STMT_ROLLBACK') inTransactionBlock = false;
  }
  return { source, statements, problems };
}

/** A statement with its lexer tokens computed on first use. */
export function newStatement(fields: Omit<ParsedStatement, 'tokens'>): ParsedStatement {
  let tokens: ScanToken[] | undefined;
  return {
    ...fields,
    // Scanning costs about as much as parsing, and only a few rules need tokens.
    get tokens() {
      tokens ??= scanSync(fields.text).tokens
        .filter((t) => !isComment(t))
        .map((t) => ({ ...t, start: t.start + fields.startByte, end: t.end + fields.startByte }));
      return tokens;
    },
  };
}

function pieceOf(raw: RawStmt, base: number, byteLength: number, gapFrom: number): RawPiece {
  // libpg-query leaves out fields that are zero, so the first statement has no location.
  const startByte = base + (raw.stmt_location ?? 0);
  const limitByte = raw.stmt_len ? startByte + raw.stmt_len : byteLength;
  return { node: raw.stmt as Node, locationBase: base, startByte, limitByte, gapFrom };
}

/** The fallback for a file the grammar rejects: parse it piece by piece between top-level semicolons. */
function reparseInPieces(source: SourceText, problems: ParseProblem[]): RawPiece[] {
  let tokens: ScanToken[];
  try {
    tokens = scanSync(source.text).tokens;
  } catch (err) {
    // The lexer failed too (e.g. an unterminated quote): nothing in the file can be trusted.
    const byte = sqlErrorByte(err, 0);
    problems.push({ byte, position: source.position(byte), message: errorMessage(err) });
    return [];
  }
  const pieces: RawPiece[] = [];
  let index = 0;
  for (const [from, to] of splitAtSemicolons(tokens, source.byteLength)) {
    const chunkTokens: ScanToken[] = [];
    while (index < tokens.length && tokens[index].end <= to) chunkTokens.push(tokens[index++]);
    const firstCode = chunkTokens.find((t) => !isComment(t));
    if (!firstCode) continue;
    const chunk = source.slice(from, to);
    try {
      let gapFrom = from;
      for (const raw of parseSync(chunk).stmts ?? []) {
        const local = pieceOf(raw, 0, Buffer.byteLength(chunk), 0);
        pieces.push({ node: local.node, locationBase: from, startByte: from + local.startByte, limitByte: from + local.limitByte, gapFrom });
        gapFrom = from + local.limitByte;
      }
    } catch (err) {
      const byte = from + sqlErrorByte(err, firstCode.start - from);
      problems.push({ byte, position: source.position(byte), message: errorMessage(err) });
    }
  }
  return pieces;
}

function isComment(token: ScanToken): boolean {
  const name = (token as { tokenName?: string }).tokenName;
  return name === 'SQL_COMMENT' || name === 'C_COMMENT';
}

/** Byte ranges between top-level semicolons. */
function splitAtSemicolons(tokens: ScanToken[], byteLength: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let depth = 0;
  let from = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth = Math.max(0, depth - 1);
    else if (token.text === ';' && depth === 0) {
      ranges.push([from, token.end]);
      from = token.end;
    }
  }
  if (from < byteLength) ranges.push([from, byteLength]);
  return ranges;
}

/**
 * The comments in the stretch between two statements. That stretch holds nothing but
 * whitespace, semicolons and comments (the parser put every token elsewhere in a
 * statement), so a tiny reader suffices there instead of a second pass of the WASM lexer.
 */
export function gapComments(source: SourceText, fromByte: number, toByte: number): SqlComment[] {
  if (toByte <= fromByte) return [];
  const gap = source.slice(fromByte, toByte);
  const found: Array<{ at: number; end: number }> = [];
  let i = 0;
  while (i < gap.length) {
    if (gap.startsWith('--', i)) {
      const newline = gap.indexOf('\n', i);
      const end = newline < 0 ? gap.length : newline;
      found.push({ at: i, end });
      i = end;
    } else if (gap.startsWith('/*', i)) {
      // PostgreSQL block comments nest.
      let depth = 0;
      let j = i;
      while (j < gap.length) {
        if (gap.startsWith('/*', j)) { depth++; j += 2; } else if (gap.startsWith('*/', j)) { depth--; j += 2; if (depth === 0) break; } else j++;
      }
      found.push({ at: i, end: j });
      i = j;
    } else {
      i++;
    }
  }
  const comments: SqlComment[] = [];
  let attached = true;
  for (let k = found.length - 1; k >= 0; k--) {
    const after = gap.slice(found[k].end, k + 1 < found.length ? found[k + 1].at : gap.length);
    if (/\n[ \t\r]*\n/.test(after)) attached = false;
    const startByte = fromByte + Buffer.byteLength(gap.slice(0, found[k].at));
    comments.unshift({ startByte, text: gap.slice(found[k].at, found[k].end).replace(/\r$/, ''), start: source.position(startByte), attached });
  }
  return comments;
}

function sqlErrorByte(err: unknown, fallback: number): number {
  const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  return typeof details?.cursorPosition === 'number' ? details.cursorPosition : fallback;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
