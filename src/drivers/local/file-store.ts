import { readFile, appendFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { CutoverError, isCutoverError } from '../../core/errors.ts';
import { parseAppState, parseHistoryLine } from '../../core/state-schema.ts';
import type { HeldLock, HistoryReadOptions, StateStore } from '../../core/store.ts';
import type { OperationSignal } from '../../core/signals.ts';
import type { AppState, HistoryEntry, LockHolder } from '../../core/types.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { acquireLockFile, isLockHolderGone, LockFileBusy, readLockFile } from './lock-file.ts';

/**
 * State under `<stateDir>/`: `state.json` (atomic replace), `history.jsonl` (append-only),
 * `lock` (see lock-file.ts: two processes can never both take it), `signals/`.
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
      throw new CutoverError('damaged', `${this.statePath} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check its owner and permissions`, { cause: err, details: { file: this.statePath } });
    }
    // Atomic writes make a damaged record unlikely, but a hand edit, a restored backup or a
    // newer format can still produce one: say so, and how to get going again.
    return parseAppState(text, this.statePath, `Move it aside (mv ${this.statePath} ${this.statePath}.damaged), then run \`cutover doctor --fix\` to rebuild the record from the running daemon.`);
  }

  async setAsideDamagedState(): Promise<string | null> {
    try {
      await this.load();
      return null;
    } catch (err) {
      if (!isCutoverError(err) || err.code !== 'damaged') throw err;
    }
    const aside = `${this.statePath}.damaged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await rename(this.statePath, aside);
    return aside;
  }

  async save(state: AppState): Promise<void> {
    await writeFileAtomic(this.statePath, `${JSON.stringify(state, null, 2)}\n`);
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // One write() of a line shorter than PIPE_BUF-ish sizes lands whole with O_APPEND.
    await appendFile(this.historyPath, `${JSON.stringify(entry)}\n`);
  }

  async history(limit = 1000, options: HistoryReadOptions = {}): Promise<HistoryEntry[]> {
    let text: string;
    try {
      text = await readFile(this.historyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CutoverError('damaged', `${this.historyPath} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check its owner and permissions`, { cause: err, details: { file: this.historyPath } });
    }
    const entries: HistoryEntry[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.trim()) continue;
      const parsed = parseHistoryLine(lines[i]!);
      // A torn line (a crash mid-append, a full disk) or a mangled one is skipped, not fatal.
      if ('entry' in parsed) entries.push(parsed.entry);
      else options.onSkippedLine?.(`${this.historyPath}:${i + 1}: skipped a line that is ${parsed.problem.startsWith('not valid') ? parsed.problem : `not a history entry (${parsed.problem})`}`);
    }
    return entries.slice(-limit);
  }

  async lockHolder(): Promise<LockHolder | null> {
    const reading = await readLockFile(this.lockPath);
    if (reading.kind === 'free') return null;
    if (reading.kind === 'held') return reading.holder;
    return { pid: 0, host: hostname(), command: 'unknown', since: reading.modifiedAt, damaged: `${this.lockPath} is damaged: ${reading.problem}` };
  }

  async isHolderGone(holder: LockHolder): Promise<boolean> {
    // A damaged lock names no one who could still be running.
    if (holder.damaged) return true;
    return isLockHolderGone(holder);
  }

  async acquireLock(holder: LockHolder): Promise<HeldLock> {
    await mkdir(this.dir, { recursive: true });
    try {
      return await acquireLockFile(this.lockPath, holder);
    } catch (err) {
      if (err instanceof LockFileBusy) throw lockedError(err.holder);
      throw err;
    }
  }

  /**
   * Removes the lock when it is damaged or its holder is gone (what `doctor --fix` does; the next
   * operation would do the same). A live holder's lock is left alone.
   * @returns true when a lock was removed.
   */
  async recoverLock(): Promise<boolean> {
    const holder = await this.lockHolder();
    if (!holder || !(await this.isHolderGone(holder))) return false;
    await mkdir(this.dir, { recursive: true });
    const lock = await this.acquireLock({ pid: process.pid, host: hostname(), command: 'doctor --fix', since: new Date().toISOString() });
    await lock.release();
    return true;
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
