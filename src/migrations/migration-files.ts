import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { CutoverError } from '../core/errors.ts';
import type { MigrationPhase } from './finding.ts';

/** One migration file as read from disk. */
export interface MigrationFile {
  /** Absolute path. */
  path: string;
  /** File name inside its phase directory: the ledger's key together with the phase. */
  name: string;
  phase: MigrationPhase;
  text: string;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
}

/**
 * Orders migration names the way people number them: digit runs compare as numbers
 * (`2_x` before `10_x`), everything else by code unit, so the order is the same everywhere.
 */
export function compareMigrationNames(a: string, b: string): number {
  const runs = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const left = runs(a);
  const right = runs(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [x, y] = [left[i], right[i]];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const diff = BigInt(x) - BigInt(y);
      if (diff !== 0n) return diff < 0n ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/**
 * The `*.sql` files named by `paths`: files as given, directories by their top-level
 * `*.sql` files in migration order. Duplicates are dropped.
 * @throws CutoverError('usage') when a path does not exist.
 */
export async function collectSqlFiles(paths: readonly string[], baseDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const given of paths) {
    const path = resolve(baseDir, given);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new CutoverError('usage', `cannot lint "${given}": no such file or directory`, { details: { path } });
    if (info.isDirectory()) {
      const names = (await readdir(path, { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.sql'))
        .map((e) => e.name)
        .sort(compareMigrationNames);
      out.push(...names.map((n) => join(path, n)));
    } else {
      out.push(path);
    }
  }
  return [...new Set(out)];
}

/** Reads every `*.sql` file of one phase directory, in order; a missing directory is empty. */
export async function readPhaseDir(dir: string, phase: MigrationPhase): Promise<MigrationFile[]> {
  const exists = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!exists) return [];
  const paths = await collectSqlFiles([dir], dir);
  return Promise.all(paths.map(async (path) => {
    const bytes = await readFile(path);
    return {
      path,
      name: relative(dir, path).split(sep).join('/'),
      phase,
      text: decodeSql(bytes),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    };
  }));
}

/** UTF-8 text of a migration, without a byte-order mark (editors hide it; the parser does not). */
export function decodeSql(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** `path` relative to `baseDir` with forward slashes, as findings and annotations show it. */
export function displayPath(path: string, baseDir: string): string {
  const rel = relative(baseDir, path);
  return (rel === '' ? path : rel).split(sep).join('/');
}
