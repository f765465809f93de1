import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userCacheDir } from '../user-cache-dir.ts';

/*
 * An entry of one of cutover's caches (the validated config, the parsed kubeconfig): a JSON file
 * holding `key`, a hash of everything the payload was made from, and the payload under one field.
 * Kept light (node builtins only): `cutover status` reads entries on every run.
 */

/**
 * The payload kept at `path` under `field`, when the entry there was made for `key`; otherwise
 * null: no file, not JSON, another key, or no object under `field`. A damaged cache reads as an
 * empty one. The payload's own shape is not checked: a matching key says it was written for
 * this input by this format.
 */
export function readCacheEntry<T extends object>(path: string, key: string, field: string): T | null {
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
    const payload = entry?.[field];
    return entry?.['key'] === key && typeof payload === 'object' && payload !== null ? (payload as T) : null;
  } catch {
    return null;
  }
}

/** Keeps `payload` at `path` under `field` for `key`, 0600 and atomically. Never throws: an entry not kept is made again next time. */
export async function writeCacheEntry(path: string, key: string, field: string, payload: object): Promise<void> {
  // Imported here, on a miss: a hit (every run but the first) never loads the writer.
  const { writeFileAtomic } = await import('../drivers/local/atomic-file.ts');
  await writeFileAtomic(path, JSON.stringify({ key, [field]: payload })).catch(() => { /* not kept: the next run makes it again */ });
}

/**
 * A file of cutover's in the user's cache directory (`$XDG_CACHE_HOME/cutover/<kind>/`, else
 * `~/.cache/...`), one per `name` (a path, hashed), or null without a home.
 */
export function userCacheFile(kind: 'config-cache' | 'kubeconfig-cache', name: string, env: NodeJS.ProcessEnv): string | null {
  const base = userCacheDir(env);
  if (!base) return null;
  return join(base, kind, `${createHash('sha256').update(name).digest('hex').slice(0, 32)}.json`);
}
