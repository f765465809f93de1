import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CutoverError } from '../../core/errors.ts';

/** errno codes that mean "the disk refused the write", as opposed to a bug in the caller. */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG']);

/**
 * The mount point that holds `path` (longest matching prefix in /proc/mounts), so a full-disk
 * message can name the disk the user has to clear. null off Linux or when unreadable.
 */
export function mountPointOf(path: string): string | null {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return null;
  }
  const target = resolve(path);
  let best: string | null = null;
  for (const line of mounts.split('\n')) {
    const point = line.split(' ')[1]?.replace(/\\040/g, ' ');
    if (!point) continue;
    const inside = target === point || target.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (best === null || point.length > best.length)) best = point;
  }
  return best;
}

/**
 * Turns a failed write of `path` into an error that says what happened and where: a full or
 * read-only disk is an operational fault (exit 1, naming the mount point), not a bug (70).
 * Other errors pass through unchanged.
 */
export function describeWriteFailure(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !DISK_CODES.has(code)) return err;
  const mount = mountPointOf(path);
  const disk = mount ? `the filesystem mounted at ${mount}` : 'its filesystem';
  const what = code === 'ENOSPC' ? 'no space left on' : code === 'EDQUOT' ? 'disk quota exceeded on' : code === 'EROFS' ? 'read-only' : `${code} on`;
  return new CutoverError('operation-failed', `could not write ${path}: ${what} ${disk}. Free space there and retry.`, { cause: err, details: { path, mount, errno: code } });
}

export function isDiskFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return Boolean(code && DISK_CODES.has(code)) || (err instanceof CutoverError && typeof err.details.errno === 'string' && DISK_CODES.has(err.details.errno));
}
