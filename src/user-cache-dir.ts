import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * cutover's directory in the user's cache directory: `$XDG_CACHE_HOME/cutover` (when absolute),
 * else `~/.cache/cutover`; null without a home. What lives there can always be rebuilt.
 */
export function userCacheDir(env: NodeJS.ProcessEnv): string | null {
  const home = env['HOME'] || homedir();
  const base = env['XDG_CACHE_HOME'] && isAbsolute(env['XDG_CACHE_HOME']) ? env['XDG_CACHE_HOME'] : home ? join(home, '.cache') : null;
  return base ? join(base, 'cutover') : null;
}
