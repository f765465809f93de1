import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory holding cutover's package.json. This module sits at a different depth in each
 * layout (src/ in a checkout, a bundled chunk under dist/ when installed), so the root is found
 * by walking up rather than by a fixed `../..`. dist/ holds no package.json of its own.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cutover's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return (root = dir);
}

/** A file of the package by its path from the package root, e.g. `bin/cutover`. */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}

let version: string | undefined;

/** cutover's version, read from package.json at run time (so the build needs no JSON import). */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
