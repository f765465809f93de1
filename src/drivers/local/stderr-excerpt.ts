import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Read from the end of the log: room for a Node stack trace with its source line and error
 * properties, and still a fixed cost however large the log has grown.
 */
const READ_BYTES = 8 * 1024;
/** Lines kept when the output is not a stack trace (the last meaningful ones). */
const MAX_TAIL_LINES = 5;
/** Frames kept under a stack trace's error line. */
const MAX_FRAMES = 2;
const MAX_LINE_CHARS = 300;
const MAX_EXCERPT_CHARS = 800;
/** Lines in one excerpt are joined with this, so the excerpt stays one line of a phase's detail. */
const EXCERPT_SEPARATOR = ' | ';

/** The line the supervisor writes before each start of a replica (see ReplicaProcess.start). */
const START_BANNER = /^--- \d{4}-\d\d-\d\dT\S+ \S+ .* port \d+$/;
const FRAME = /^\s+at \S/;
/** How Node starts an error's stack: `TypeError: ...`, `Error [ERR_X]: ...`. */
const ERROR_LINE = /^[A-Za-z_$][\w$.]*( \[[^\]]+\])?: /;
/** How far above the first frame an error's message may start. */
const MAX_MESSAGE_LINES = 10;
/** Lines Node prints after an uncaught exception that say nothing about it. */
const BOILERPLATE = [/^Node\.js v\d+\.\d+\.\d+/, /^\(Use `node --trace-\S+ \.\.\.` to show where/];

/**
 * What explains a replica's exit, from the end of its stderr log: for a Node.js uncaught
 * exception, the error line and its first frames (plus the first frame in the app's own code,
 * when the first ones are Node's); otherwise the last few meaningful lines. Only output of the
 * latest start counts, trailing blank and boilerplate lines are skipped, and the result is
 * bounded (lines and characters). '' when the log is missing or says nothing.
 */
export function stderrExcerpt(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, READ_BYTES);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n');
    // A window that starts mid-file starts mid-line (maybe mid-character): drop that line.
    if (length < size) lines.shift();
    return excerptOf(lines);
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** The excerpt of a log's last lines (see stderrExcerpt). */
function excerptOf(logLines: readonly string[]): string {
  const lines = latestRun(logLines).map((l) => l.trimEnd());
  while (lines.length > 0 && isNoise(lines.at(-1)!)) lines.pop();
  const kept = fatalStack(lines) ?? lines.filter((l) => !isNoise(l)).slice(-MAX_TAIL_LINES);
  return bound(kept.map((l) => l.trim()));
}

function latestRun(lines: readonly string[]): string[] {
  let start = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (START_BANNER.test(lines[i]!)) {
      start = i + 1;
      break;
    }
  }
  return lines.slice(start);
}

function isNoise(line: string): boolean {
  return line.trim() === '' || BOILERPLATE.some((b) => b.test(line));
}

/**
 * The error line and first frames of the stack trace that ends the output, as Node prints an
 * uncaught exception: an unindented line, then frames, then only what belongs to that error
 * (more frames, indented properties and causes, `}`, the "Emitted 'error' event" part). A stack
 * that something else follows was logged and survived, so it is not the reason for the exit.
 */
function fatalStack(lines: readonly string[]): string[] | null {
  for (let i = lines.length - 2; i >= 0; i--) {
    const line = lines[i]!;
    if (!FRAME.test(lines[i + 1]!) || /^\s/.test(line) || line === '' || line.startsWith('Emitted ')) continue;
    if (!lines.slice(i + 1).every(belongsToError)) return null;
    const frames: string[] = [];
    for (let j = i + 1; j < lines.length && FRAME.test(lines[j]!); j++) frames.push(lines[j]!);
    // The first frame says where it was thrown. When that is inside Node (a listen error, a
    // failed require), the app's first frame says what of the app's asked for it; Node's
    // frames after the app's own say nothing the operator can act on.
    const kept = [frames[0]!];
    const own = frames.filter((f) => !isNodeFrame(f));
    if (isNodeFrame(frames[0]!)) kept.push(...own.slice(0, MAX_FRAMES - 1));
    else kept.push(...own.slice(1, MAX_FRAMES));
    return [errorLine(lines, i), ...kept];
  }
  return null;
}

/**
 * The first line of the error's message, which may span lines (`Cannot find module 'x'` then
 * `Require stack:`): the nearest `Name: message` or `Name [CODE]: message` line above the first
 * frame, within the block that starts after the blank line Node prints before the error.
 */
function errorLine(lines: readonly string[], beforeFrames: number): string {
  for (let i = beforeFrames; i >= 0 && i > beforeFrames - MAX_MESSAGE_LINES && lines[i] !== ''; i--) {
    if (ERROR_LINE.test(lines[i]!)) return lines[i]!;
  }
  return lines[beforeFrames]!;
}

function belongsToError(line: string): boolean {
  return line === '' || /^\s/.test(line) || line === '}' || /^Emitted '.*' event .* at:$/.test(line);
}

function isNodeFrame(frame: string): boolean {
  return /\(node:|^\s+at (async )?node:|\[eval\]-wrapper/.test(frame);
}

function bound(lines: readonly string[]): string {
  const text = lines.map((l) => (l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS - 1)}…` : l)).join(EXCERPT_SEPARATOR);
  return text.length > MAX_EXCERPT_CHARS ? `${text.slice(0, MAX_EXCERPT_CHARS - 1)}…` : text;
}
