import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { readCacheEntry, userCacheFile, writeCacheEntry } from './cache-entry.ts';
import type { ResolvedConfig } from './resolved.ts';
import { packageVersion } from '../package-root.ts';

/** Where the validated config is kept, beside the local platform's state. */
export const CONFIG_CACHE_FILE = 'config-cache.json';

/**
 * A compiled build only: a checkout runs TypeScript sources whose schema can change without a
 * version bump, so there the config is always parsed.
 */
const CACHE_IN_THIS_BUILD = !import.meta.url.endsWith('.ts');

/**
 * Loads cutover.yaml as `loadConfig` does, but keeps the validated result, keyed by a hash of
 * cutover's version, the config's path and its text. On a hit neither the YAML parser nor the
 * config schema is loaded: together they were over half of `cutover status`'s start-up time
 * (docs/BENCHMARKS.md, cli-startup). Normalizing reads nothing but the text (paths are resolved,
 * not opened), so the same text always gives the same result. Where it is kept:
 *   - local platform: `.cutover/config-cache.json`, once that directory exists (nothing is
 *     written beside a config that never ran a daemon);
 *   - Kubernetes: the user's cache directory (`$XDG_CACHE_HOME/cutover/config-cache/`, else
 *     `~/.cache/...`), one file per config path, since nothing else of cutover's lives beside a
 *     Kubernetes config (its state is in the cluster) and a repository should not gain a directory.
 * Files are 0600 in 0700 directories (they hold what the config holds). A cache that cannot be
 * read or written is ignored: the config is parsed as if there were none.
 */
export async function loadConfigCached(path = 'cutover.yaml', options: { cache?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ResolvedConfig> {
  const configPath = resolve(path);
  const cache = options.cache ?? CACHE_IN_THIS_BUILD;
  if (!cache || !existsSync(configPath)) return (await import('./load.ts')).loadConfig(configPath);
  const text = readFileSync(configPath, 'utf8');
  const key = createHash('sha256').update(`${packageVersion()}\0${configPath}\0${text}`).digest('hex');
  const places = { local: localCachePath(configPath), kubernetes: userCachePath(configPath, options.env ?? process.env) };
  for (const place of [places.local, places.kubernetes]) {
    const hit = place ? readCacheEntry<ResolvedConfig>(place, key, 'config') : null;
    if (hit) return Object.freeze(hit);
  }

  const config = (await import('./load.ts')).parseConfig(text, configPath);
  const place = config.platform.kind === 'local' ? (existsSync(config.stateDir) ? places.local : null) : places.kubernetes;
  // Only a config that JSON carries unchanged is kept (a class instance, a RegExp or Infinity would not be).
  if (place && survivesJson(config)) await writeCacheEntry(place, key, 'config', config);
  return config;
}

/** The local platform's cache file: in the state directory beside the config. */
function localCachePath(configPath: string): string {
  return join(dirname(configPath), '.cutover', CONFIG_CACHE_FILE);
}

/** The cache file for a config kept in the user's cache directory, or null without a home. */
export function userCachePath(configPath: string, env: NodeJS.ProcessEnv): string | null {
  return userCacheFile('config-cache', configPath, env);
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
