import { readFile, appendFile, mkdir, open, unlink, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { CutoverError } from '../../core/errors.ts';
import type { HeldLock, StateStore } from '../../core/store.ts';
import type { OperationSignal } from '../../core/signals.ts';
import type { AppState, HistoryEntry, LockHolder } from '../../core/types.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { isProcessAlive } from './process-alive.ts';

/**
 * State under `<stateDir>/`: `state.json` (atomic replace), `history.jsonl` (append-only),
 * `lock` (created with O_EXCL so two processes can never both take it), `signals/`.
 */
export class FileStateStore implements StateStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = stateDir;
  }

  private get statePath(): string { return join(this.dir, 'state.json'); }
  private get historyPath(): string { return join(this.dir, 'history.jsonl'); }
  private get lockPath(): string { return join(this.dir, 'lock'); }
  private signalPath(operationId: string, signal?: OperationSignal): string {
    const dir = join(this.dir, 'signals', operationId.replace(/[^A-Za-z0-9_-]/g, '_'));
    return signal ? join(dir, signal) : dir;
  }

  async load(): Promise<AppState | null> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as AppState;
    } catch (err) {
      // Atomic writes make this unreachable unless someone edited the file by hand.
      throw new CutoverError('internal', `${this.statePath} is not valid JSON; restore it from history or delete it`, { cause: err });
    }
  }

  async save(state: AppState): Promise<void> {
    await writeFileAtomic(this.statePath, `${JSON.stringify(state, null, 2)}\n`);
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // One write() of a line shorter than PIPE_BUF-ish sizes lands whole with O_APPEND.
    await appendFile(this.historyPath, `${JSON.stringify(entry)}\n`);
  }

  async history(limit = 1000): Promise<HistoryEntry[]> {
    let text: string;
    try {
      text = await readFile(this.historyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: HistoryEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as HistoryEntry);
      } catch {
        // A torn last line after a crash mid-append is skipped, not fatal.
      }
    }
    return entries.slice(-limit);
  }

  async lockHolder(): Promise<LockHolder | null> {
    try {
      return JSON.parse(await readFile(this.lockPath, 'utf8')) as LockHolder;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      // A lock file being written right now, or torn: treat as held by an unknown holder.
      return { pid: 0, host: 'unknown', command: 'unknown', since: new Date(0).toISOString() };
    }
  }

  async isHolderGone(holder: LockHolder): Promise<boolean> {
    // A lock taken on another host (shared filesystem) cannot be probed; never steal it.
    if (holder.host !== hostname()) return false;
    if (holder.pid === 0) return false;
    return !isProcessAlive(holder.pid);
  }

  async acquireLock(holder: LockHolder): Promise<HeldLock> {
    await mkdir(this.dir, { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(this.lockPath, 'wx', 0o644);
        try {
          await handle.writeFile(JSON.stringify(holder));
          await handle.sync();
        } finally {
          await handle.close();
        }
        return this.heldLock(holder);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = await this.lockHolder();
      if (current && (await this.isHolderGone(current))) {
        // The holder died (kill -9, power loss): its lock is ours to recover.
        await unlink(this.lockPath).catch(() => {});
        continue;
      }
      if (current && current.pid === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      throw lockedError(current);
    }
    throw lockedError(await this.lockHolder());
  }

  private heldLock(holder: LockHolder): HeldLock {
    let released = false;
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        const current = await this.lockHolder();
        if (current && current.pid === holder.pid && current.since === holder.since) {
          await unlink(this.lockPath).catch(() => {});
        }
      },
    };
  }

  async sendSignal(operationId: string, signal: OperationSignal): Promise<void> {
    await mkdir(this.signalPath(operationId), { recursive: true });
    await writeFileAtomic(this.signalPath(operationId, signal), new Date().toISOString());
  }

  async signals(operationId: string): Promise<ReadonlySet<OperationSignal>> {
    try {
      return new Set((await readdir(this.signalPath(operationId))).filter((n) => !n.startsWith('.')) as OperationSignal[]);
    } catch {
      return new Set();
    }
  }

  async clearSignals(operationId: string): Promise<void> {
    await rm(this.signalPath(operationId), { recursive: true, force: true });
  }
}

export function lockedError(holder: LockHolder | null): CutoverError {
  const who = holder ? `${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'another process';
  return new CutoverError('locked', `another operation holds the lock: ${who}`, { details: { holder } });
}
