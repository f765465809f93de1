import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../config/duration.ts';
import { CutoverError } from '../core/errors.ts';
import { isSameProcessAlive, processStartTime } from '../drivers/local/process-alive.ts';

const POLL_MS = 100;
// A lock file still empty after this long was left by a process that died between creating and writing it.
const TORN_STALE_MS = 10_000;

/** Who holds a data directory, as recorded in its lock file. */
export interface DataDirHolder {
  pid: number;
  /** Kernel start time of `pid`, so a reused pid is not mistaken for the holder. */
  startTime: string | null;
  host: string;
  command: string;
  since: string;
}

/**
 * Takes `lockPath` for this process, waiting up to `waitMs` while another live process holds
 * it; a lock left by a process that died is recovered. The file is created with O_EXCL (the
 * same scheme as the operation lock), so two processes can never both hold it. No library:
 * the project already has this pattern, and it needs the same pid and start-time checks.
 * @returns a release function (idempotent; removes the file only if it is still ours).
 * @throws CutoverError('locked') naming the holder when the wait runs out.
 */
export async function lockDataDir(lockPath: string, what: string, waitMs: number): Promise<() => Promise<void>> {
  const me: DataDirHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: hostname(),
    command: ['cutover', ...process.argv.slice(2)].join(' '),
    since: new Date().toISOString(),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(lockPath);
    const gone = holder
      ? holder.host === hostname() && !isSameProcessAlive(holder.pid, holder.startTime)
      : Date.now() - ((await stat(lockPath).catch(() => null))?.mtimeMs ?? Date.now()) > TORN_STALE_MS;
    if (gone) {
      await unlink(lockPath).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} (${holder.command}, since ${holder.since})` : 'another process';
      throw new CutoverError('locked', `${what} is in use by ${who}, and only one process may open it at a time; gave up after waiting ${formatDuration(waitMs)}`, {
        details: { lockPath, holder },
      });
    }
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const current = await readHolder(lockPath);
    if (current && current.pid === me.pid && current.since === me.since) await unlink(lockPath).catch(() => {});
  };
}

/** The recorded holder; null when the file is gone or torn (being written right now). */
async function readHolder(lockPath: string): Promise<DataDirHolder | null> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as DataDirHolder;
  } catch {
    return null;
  }
}
