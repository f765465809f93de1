import { hostname } from 'node:os';
import { link, open, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSameProcessAlive, processStartTime } from '../../process/process-alive.ts';

const GUARD_STALE_MS = 5_000;

/** One file's identity: its inode with its change time (a freed inode number is soon given to a new file). */
function identityOf(info: { ino: bigint; ctimeNs: bigint }): number {
  return Number((info.ino * 1_000_000_007n + info.ctimeNs) % 9_007_199_254_740_881n);
}

/** Who holds a lock file, as recorded in it. */
export interface LockFileHolder {
  pid: number;
  /**
   * Kernel start time of `pid` (/proc/<pid>/stat field 22), so a pid the kernel has since given
   * to another process is not mistaken for the holder. Null where /proc is unavailable.
   */
  startTime?: string | null;
  host: string;
  command: string;
  since: string;
}

/**
 * What a lock file says: nobody holds it, someone does, or the file is damaged (empty, torn or
 * not a holder record). A damaged file is never one of ours being written: holders are written
 * to a temp file first and linked into place whole (see acquireLockFile).
 */
export type LockFileReading =
  | { kind: 'free' }
  | { kind: 'held'; holder: LockFileHolder; inode: number }
  | { kind: 'damaged'; problem: string; modifiedAt: string; inode: number };

/** A lock this process holds. `release` is idempotent and removes the file only while it is still ours. */
export interface LockFileHandle {
  readonly holder: LockFileHolder;
  release(): Promise<void>;
}

export async function readLockFile(path: string): Promise<LockFileReading> {
  let text: string;
  let inode: number;
  let modifiedAt: string;
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat({ bigint: true });
      // Inode numbers are reused at once after an unlink; with the change time they name one file.
      inode = identityOf(info);
      modifiedAt = new Date(Number(info.mtimeMs)).toISOString();
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'free' };
    // Unreadable (EACCES, EIO, a directory in its place): it cannot name a holder.
    return { kind: 'damaged', problem: `it cannot be read (${code ?? (err as Error).message})`, modifiedAt: new Date(0).toISOString(), inode: -1 };
  }
  if (text.trim() === '') return { kind: 'damaged', problem: 'it is empty', modifiedAt, inode };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'damaged', problem: `it is not JSON (${text.length} bytes, torn or overwritten)`, modifiedAt, inode };
  }
  const holder = asHolder(value);
  if (!holder) return { kind: 'damaged', problem: 'it does not name a holder (pid, host, command, since)', modifiedAt, inode };
  return { kind: 'held', holder, inode };
}

function asHolder(value: unknown): LockFileHolder | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!Number.isInteger(v.pid) || (v.pid as number) <= 0) return null;
  if (typeof v.host !== 'string' || typeof v.command !== 'string' || typeof v.since !== 'string') return null;
  const startTime = typeof v.startTime === 'string' ? v.startTime : null;
  return { pid: v.pid as number, startTime, host: v.host, command: v.command, since: v.since };
}

/**
 * True when the holder is known to be dead: it ran on this host and its pid is gone, a zombie,
 * or now belongs to a process started at another time. A holder on another host (a shared
 * filesystem) cannot be probed and is never called gone.
 */
export function isLockHolderGone(holder: LockFileHolder): boolean {
  if (holder.host !== hostname()) return false;
  return !isSameProcessAlive(holder.pid, holder.startTime);
}

/** Why a lock could not be taken: someone alive holds it. */
export class LockFileBusy extends Error {
  readonly holder: LockFileHolder;
  constructor(holder: LockFileHolder) {
    super(`held by ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`);
    this.holder = holder;
  }
}

/**
 * Takes the lock at `path` for `holder`, waiting up to `waitMs` while a live process holds it.
 * A lock whose holder died, or a damaged lock file, is recovered.
 *
 * The holder record is written and fsynced to a temp file, then hard-linked to `path`: link()
 * fails with EEXIST when the lock exists, like O_EXCL, but the lock appears with its content
 * whole. So a reader never sees a half-written lock of ours, and an empty or torn lock file
 * (left by a full disk, or an older cutover that wrote in place) is known to be stale at once.
 * No library: proper-lockfile and friends use mkdir locks without a pid or start time, which
 * is what recovery after kill -9 needs.
 * The wait is on real, monotonic time (no injectable clock): it waits for another process to let
 * go, which no virtual clock can hurry, and a wall-clock step must not stretch or cut it.
 * @throws LockFileBusy naming the holder once the wait runs out; fs errors (ENOSPC, EACCES) as is.
 */
export async function acquireLockFile(path: string, holder: LockFileHolder, options: { waitMs?: number; pollMs?: number } = {}): Promise<LockFileHandle> {
  const me: LockFileHolder = { ...holder, startTime: holder.startTime ?? processStartTime(holder.pid) };
  const deadline = performance.now() + (options.waitMs ?? 0);
  for (;;) {
    if (await tryCreate(path, me)) return handleFor(path, me);
    const reading = await readLockFile(path);
    if (reading.kind === 'free') continue;
    if (reading.kind === 'damaged' || isLockHolderGone(reading.holder)) {
      await removeIfSame(path, reading.inode);
      continue;
    }
    if (performance.now() >= deadline) throw new LockFileBusy(reading.holder);
    await sleep(Math.min(options.pollMs ?? 100, Math.max(1, deadline - performance.now())));
  }
}

async function tryCreate(path: string, holder: LockFileHolder): Promise<boolean> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes the lock file, but only the one that was judged (inode `inode`), never a fresh lock
 * another process took meanwhile. Removals are serialised by a short-lived guard file: creation
 * cannot replace an existing lock, and every removal happens under the guard, so between the
 * guard holder's inode check and its unlink nobody else can swap the file.
 */
async function removeIfSame(path: string, inode: number): Promise<void> {
  const guard = `${path}.recover`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(guard, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A guard is held for a few milliseconds; one older than this was left by a process that died holding it.
    const info = await stat(guard).catch(() => null);
    if (info && Date.now() - info.mtimeMs > GUARD_STALE_MS) await unlink(guard).catch(() => {});
    if (attempt > 2_000) throw new Error(`could not take ${guard} to recover the lock`);
    // Real time: a guard is held by another process for a few real milliseconds.
    await sleep(5);
  }
  try {
    const info = await stat(path, { bigint: true }).catch(() => null);
    if (info && (inode === -1 || identityOf(info) === inode)) await unlink(path).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

function handleFor(path: string, holder: LockFileHolder): LockFileHandle {
  let released = false;
  return {
    holder,
    release: async () => {
      if (released) return;
      released = true;
      const current = await readLockFile(path);
      if (current.kind === 'held' && current.holder.pid === holder.pid && current.holder.since === holder.since) await removeIfSame(path, current.inode);
    },
  };
}
