import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../drivers/local/atomic-file.ts';
import type { ResolvedConfig } from './resolved.ts';
import { packageVersion } from '../package-root.ts';

/** Where the validated config is kept, beside the local platform's state. */
export const CONFIG_CACHE_FILE = 'config-cache.json';

interface CacheEntry {
  key: string;
  config: ResolvedConfig;
}

/**
 * A compiled build only: a checkout runs TypeScript sources whose schema can change without a
 * version bump, so there the config is always parsed.
 */
const CACHE_IN_THIS_BUILD = import.meta.url.endsWith('.js');

/**
 * Loads cutover.yaml as `loadConfig` does, but keeps the validated result in
 * `.cutover/config-cache.json`, keyed by a hash of cutover's version, the config's path and its
 * text. On a hit neither the YAML parser nor the config schema is loaded: together they were
 * over half of `cutover status`'s start-up time (docs/BENCHMARKS.md, cli-startup). Normalizing
 * reads nothing but the text (paths are resolved, not opened), so the same text always gives the
 * same result. Only the local platform caches, and only once its `.cutover/` exists: nothing is
 * written beside a config that never ran a daemon. The file is 0600 in the 0700 directory, as
 * every file there (it holds what the config holds). A cache that cannot be read or written is
 * ignored: the config is parsed as if there were none.
 */
export async function loadConfigCached(path = 'cutover.yaml', options: { cache?: boolean } = {}): Promise<ResolvedConfig> {
  const configPath = resolve(path);
  const cache = options.cache ?? CACHE_IN_THIS_BUILD;
  if (!cache || !existsSync(configPath)) return (await import('./load.ts')).loadConfig(configPath);
  const text = readFileSync(configPath, 'utf8');
  const key = createHash('sha256').update(`${packageVersion()}\0${configPath}\0${text}`).digest('hex');
  const cachePath = join(dirname(configPath), '.cutover', CONFIG_CACHE_FILE);
  const hit = readEntry(cachePath);
  if (hit?.key === key) return Object.freeze(hit.config);

  const config = (await import('./load.ts')).parseConfig(text, configPath);
  if (config.platform.kind === 'local' && existsSync(config.stateDir)) {
    // Only a config that JSON carries unchanged is kept (a class instance, a RegExp or Infinity would not be).
    if (survivesJson(config)) await writeFileAtomic(cachePath, JSON.stringify({ key, config } satisfies CacheEntry)).catch(() => {});
  }
  return config;
}

/** True when `JSON.parse(JSON.stringify(value))` gives back the same value (an absent key for an undefined one). */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => item !== undefined && survivesJson(item));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((item) => item === undefined || survivesJson(item));
  }
  return false;
}

function readEntry(path: string): CacheEntry | null {
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheEntry>;
    return typeof entry.key === 'string' && entry.config && typeof entry.config === 'object' ? entry as CacheEntry : null;
  } catch {
    return null;
  }
}

