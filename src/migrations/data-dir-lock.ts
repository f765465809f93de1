import { hostname } from 'node:os';
import { formatDuration } from '../config/duration.ts';
import { CutoverError } from '../core/errors.ts';
import { acquireLockFile, LockFileBusy, type LockFileHolder } from '../drivers/local/lock-file.ts';

/** Who holds a data directory, as recorded in its lock file. */
export type DataDirHolder = LockFileHolder;

/**
 * Takes `lockPath` for this process, waiting up to `waitMs` while another live process holds
 * it; a lock left by a process that died, or a torn lock file, is recovered. The same lock file
 * scheme as the operation lock (lock-file.ts).
 * @returns a release function (idempotent; removes the file only if it is still ours).
 * @throws CutoverError('locked') naming the holder when the wait runs out.
 */
export async function lockDataDir(lockPath: string, what: string, waitMs: number): Promise<() => Promise<void>> {
  const me: DataDirHolder = {
    pid: process.pid,
    host: hostname(),
    command: ['cutover', ...process.argv.slice(2)].join(' '),
    since: new Date().toISOString(),
  };
  try {
    const lock = await acquireLockFile(lockPath, me, { waitMs });
    return () => lock.release();
  } catch (err) {
    if (!(err instanceof LockFileBusy)) throw err;
    const holder = err.holder;
    throw new CutoverError('locked', `${what} is in use by pid ${holder.pid} (${holder.command}, since ${holder.since}), and only one process may open it at a time; gave up after waiting ${formatDuration(waitMs)}`, {
      details: { lockPath, holder },
    });
  }
}
