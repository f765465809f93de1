import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine, LogOptions } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';

const FOLLOW_POLL_MS = 200;
const TAIL_READ_BYTES = 256 * 1024;

interface LogFile { path: string; source: string; stream: 'stdout' | 'stderr'; offset: number }

/**
 * Reads the per-replica log files the supervisor writes (`<color>-<n>.out.log` / `.err.log`):
 * the last `tail` lines of each, then, with `follow`, new lines as they are appended.
 * Polling rather than fs.watch because watch is unreliable across platforms and filesystems.
 */
export async function* followLogs(logDir: string, color: Color, options: LogOptions = {}): AsyncIterable<LogLine> {
  const tail = options.tail ?? 100;
  const files = await logFiles(logDir, color);
  for (const file of files) {
    const { lines, size } = await readTail(file.path, tail);
    file.offset = size;
    for (const line of lines) yield { color, source: file.source, stream: file.stream, line };
  }
  if (!options.follow) return;
  const known = new Map(files.map((f) => [f.path, f]));
  while (!options.signal?.aborted) {
    // I/O pacing of a tail -f, not operation logic: stays on real time.
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    for (const file of await logFiles(logDir, color)) {
      if (!known.has(file.path)) known.set(file.path, file);
    }
    for (const file of known.values()) {
      for (const line of await readNew(file)) yield { color, source: file.source, stream: file.stream, line };
    }
  }
}

async function logFiles(logDir: string, color: Color): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(logDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(`${color}-`) && (n.endsWith('.out.log') || n.endsWith('.err.log')))
    .sort()
    .map((n) => ({ path: join(logDir, n), source: n.replace(/\.(out|err)\.log$/, ''), stream: n.endsWith('.err.log') ? 'stderr' : 'stdout', offset: 0 }));
}

async function readTail(path: string, lines: number): Promise<{ lines: string[]; size: number }> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const length = Math.min(size, TAIL_READ_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return { lines: lines > 0 ? all.slice(-lines) : [], size };
  } finally {
    await handle.close();
  }
}

async function readNew(file: LogFile): Promise<string[]> {
  let size: number;
  try {
    size = (await stat(file.path)).size;
  } catch {
    return [];
  }
  if (size < file.offset) file.offset = 0; // truncated or replaced
  if (size === file.offset) return [];
  const handle = await open(file.path, 'r');
  try {
    const buffer = Buffer.alloc(size - file.offset);
    await handle.read(buffer, 0, buffer.length, file.offset);
    const text = buffer.toString('utf8');
    const cut = text.lastIndexOf('\n');
    if (cut < 0) return [];
    file.offset += Buffer.byteLength(text.slice(0, cut + 1));
    return text.slice(0, cut).split('\n');
  } finally {
    await handle.close();
  }
}
