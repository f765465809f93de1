import { connect } from 'node:net';
import { CutoverError } from '../../core/errors.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Sends one line to a HAProxy CLI socket (the Runtime API, or the master CLI) and returns
 * everything HAProxy wrote before closing. Several commands separated by `;` on one line run
 * in one go, in order, with nothing else interleaved on a single-threaded HAProxy: that is
 * what makes "commit the map, then read the counters" one atomic step.
 * A new connection per call: the non-interactive mode closes after one line, so an answer
 * can never be mistaken for the next command's.
 */
export function runtimeCommand(socketPath: string, line: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  if (line.includes('\n')) throw new CutoverError('internal', 'a HAProxy CLI command cannot contain a newline');
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CutoverError('unreachable', `HAProxy did not answer \`${line.slice(0, 80)}\` within ${timeoutMs}ms on ${socketPath}`));
    }, timeoutMs);
    // Half-close after the line: the master CLI answers and closes only once the client is done.
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CutoverError('unreachable', `HAProxy's Runtime API at ${socketPath} is not reachable (${err.code ?? err.message})`, { cause: err }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** One row of `show stat` (CSV), by column name. */
export type StatRow = Record<string, string>;

/** Parses `show stat` CSV (header line `# pxname,svname,...`). */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const names = header.slice(2).split(',');
  const rows: StatRow[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const cells = line.split(',');
    if (cells.length < names.length - 1) continue;
    const row: StatRow = {};
    names.forEach((n, i) => { if (n) row[n] = cells[i] ?? ''; });
    rows.push(row);
  }
  return rows;
}
