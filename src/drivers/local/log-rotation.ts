import { copyFile, readdir, rename, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface LogRotationPolicy {
  /** A log file larger than this is rotated. */
  maxBytes: number;
  /** Rotated copies kept per file (`x.log.1` newest .. `x.log.<keep>` oldest). */
  keep: number;
}

/**
 * Rotates every `*.log` in `dir` that grew past `policy.maxBytes`, so a chatty replica can use
 * at most (keep + 1) × maxBytes of disk per stream plus what it writes between two passes.
 *
 * Copy-then-truncate rather than rename: replicas write straight to their log files through
 * O_APPEND descriptors they inherited (so they outlive the daemon), and cannot be told to reopen.
 * After a truncate their next write lands at offset 0 of the same file. Lines written between
 * the copy and the truncate are lost; logrotate's copytruncate makes the same trade.
 * Returns the files it rotated.
 */
export async function rotateLogs(dir: string, policy: LogRotationPolicy): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const rotated: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.log'))) {
    const path = join(dir, name);
    try {
      if ((await stat(path)).size <= policy.maxBytes) continue;
      if (policy.keep > 0) {
        // The copy is made beside `.1` and renamed over it, so that a reader (or `cutover logs`)
        // never finds the newest kept copy missing or half written while a pass runs.
        await copyFile(path, `${path}.1.tmp`);
        // Renaming over the oldest kept copy replaces it; nothing is deleted first.
        for (let i = policy.keep - 1; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
        await rename(`${path}.1.tmp`, `${path}.1`);
      }
      await truncate(path, 0);
      rotated.push(path);
    } catch {
      // A full disk can fail the copy: truncating anyway frees space, which is what matters.
      await unlink(`${path}.1.tmp`).catch(() => {});
      await truncate(path, 0).catch(() => {});
    }
  }
  return rotated;
}

/** Runs `rotateLogs` every `everyMs` until stopped. */
export function startLogRotation(dirs: readonly string[], policy: LogRotationPolicy, everyMs: number): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void Promise.all(dirs.map((d) => rotateLogs(d, policy))).finally(() => { running = false; });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
