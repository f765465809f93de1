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
  /** Lexer tokens inside the statement (comments excluded). */
  tokens: ScanToken[];
  /** True between an explicit BEGIN/START TRANSACTION and its COMMIT/ROLLBACK. */
  inTransactionBlock: boolean;
  /** Comments between the previous statement and this one, nearest last. */
  leadingComments: SqlComment[];
}

export interface SqlComment {
  startByte: number;
  endByte: number;
  text: string;
  start: Position;
  /** True when no blank line separates this comment from the statement after it. */
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
  /** Upper bound of the statement; trailing comments and whitespace are trimmed later. */
  limitByte: number;
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
  let tokens: ScanToken[];
  try {
    tokens = scanSync(text).tokens;
  } catch (err) {
    // The lexer failed (e.g. an unterminated quote): nothing in the file can be trusted.
    const byte = sqlErrorByte(err, 0);
    problems.push({ byte, position: source.position(byte), message: errorMessage(err) });
    return { source, statements: [], problems };
  }

  const pieces: RawPiece[] = [];
  if (tokens.every(isComment)) return { source, statements: [], problems };
  try {
    const stmts = parseSync(text).stmts ?? [];
    for (const raw of stmts) pieces.push(pieceOf(raw, 0, source.byteLength));
  } catch {
    for (const [from, to] of splitAtSemicolons(tokens, source.byteLength)) {
      const chunkTokens = tokens.filter((t) => t.start >= from && t.end <= to);
      if (chunkTokens.every(isComment)) continue;
      const chunk = source.slice(from, to);
      try {
        for (const raw of parseSync(chunk).stmts ?? []) {
          const local = pieceOf(raw, 0, Buffer.byteLength(chunk));
          pieces.push({ node: local.node, locationBase: from, startByte: from + local.startByte, limitByte: from + local.limitByte });
        }
      } catch (err) {
        const firstCode = chunkTokens.find((t) => !isComment(t))!;
        const byte = from + sqlErrorByte(err, firstCode.start - from);
        problems.push({ byte, position: source.position(byte), message: errorMessage(err) });
      }
    }
  }

  const statements: ParsedStatement[] = [];
  let inTransactionBlock = false;
  let previousEnd = 0;
  let cursor = 0;
  for (const piece of pieces) {
    // Pieces come in file order, so one forward pass over the tokens serves them all.
    const comments: ScanToken[] = [];
    while (cursor < tokens.length && tokens[cursor].end <= piece.startByte) {
      if (isComment(tokens[cursor]) && tokens[cursor].start >= previousEnd) comments.push(tokens[cursor]);
      cursor++;
    }
    const own: ScanToken[] = [];
    while (cursor < tokens.length && tokens[cursor].end <= piece.limitByte) {
      const token = tokens[cursor++];
      if (!isComment(token)) own.push(token);
      else if (own.length === 0) comments.push(token);
    }
    if (own.length > 0 && own[own.length - 1].text === ';') own.pop();
    const startByte = own.length > 0 ? own[0].start : piece.startByte;
    const endByte = own.length > 0 ? own[own.length - 1].end : piece.limitByte;
    const kind = Object.keys(piece.node)[0];
    const txKind = kind === 'TransactionStmt' ? (piece.node as { TransactionStmt: { kind?: string } }).TransactionStmt.kind : undefined;
    if (txKind === 'TRANS_STMT_BEGIN' || txKind === 'TRANS_STMT_START') inTransactionBlock = true;
    statements.push({
      index: statements.length,
      node: piece.node,
      kind,
      locationBase: piece.locationBase,
      startByte,
      endByte,
      start: source.position(startByte),
      text: source.slice(startByte, endByte),
      tokens: own,
      inTransactionBlock,
      leadingComments: describeComments(source, comments, startByte),
    });
    if (txKind === 'TRANS_STMT_COMMIT' || txKind === 'TRANS_STMT_ROLLBACK') inTransactionBlock = false;
    previousEnd = endByte;
  }
  return { source, statements, problems };
}

function pieceOf(raw: RawStmt, base: number, byteLength: number): RawPiece {
  // libpg-query leaves out fields that are zero, so the first statement has no location.
  const startByte = base + (raw.stmt_location ?? 0);
  const limitByte = raw.stmt_len ? startByte + raw.stmt_len : byteLength;
  return { node: raw.stmt as Node, locationBase: base, startByte, limitByte };
}

function isComment(token: ScanToken): boolean {
  const name = (token as { tokenName?: string }).tokenName;
  return name === 'SQL_COMMENT' || name === 'C_COMMENT';
}

/** Byte ranges between top-level semicolons, for re-parsing a file piece by piece. */
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

function describeComments(source: SourceText, comments: ScanToken[], statementStart: number): SqlComment[] {
  const described: SqlComment[] = [];
  let attached = true;
  for (let i = comments.length - 1; i >= 0; i--) {
    const next = i + 1 < comments.length ? comments[i + 1].start : statementStart;
    if (/\n[ \t\r]*\n/.test(source.slice(comments[i].end, next))) attached = false;
    const t = comments[i];
    described.unshift({ startByte: t.start, endByte: t.end, text: t.text, start: source.position(t.start), attached });
  }
  return described;
}

function sqlErrorByte(err: unknown, fallback: number): number {
  const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  return typeof details?.cursorPosition === 'number' ? details.cursorPosition : fallback;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
