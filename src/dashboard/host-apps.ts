import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../drivers/local/atomic-file.ts';
import { isProcessAlive } from '../process/process-alive.ts';

/** One running daemon, as it announced itself on this host. */
export interface HostAppEntry {
  pid: number;
  app: string;
  configPath: string;
  stateDir: string;
}

/**
 * Where the daemons of one host announce themselves, so that any one daemon's dashboard lists
 * every app of the host. One file per state directory; an entry whose pid is gone is ignored
 * (and removed), so a killed daemon never lingers in the list.
 */
export class HostApps {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private fileFor(stateDir: string): string {
    return join(this.dir, `${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}.json`);
  }

  /** Announces a daemon. Idempotent. */
  async register(entry: HostAppEntry): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.fileFor(entry.stateDir), `${JSON.stringify(entry)}\n`);
  }

  /** Withdraws a daemon's announcement, if it is still its own. */
  unregister(stateDir: string, pid: number): void {
    const file = this.fileFor(stateDir);
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as HostAppEntry;
      if (entry.pid === pid) unlinkSync(file);
    } catch {
      // Already gone, or replaced by another daemon.
    }
  }

  /** The daemons running now. */
  list(): HostAppEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const entries: HostAppEntry[] = [];
    for (const name of names) {
      try {
        const entry = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as HostAppEntry;
        if (typeof entry.pid === 'number' && typeof entry.configPath === 'string' && isProcessAlive(entry.pid)) entries.push(entry);
        else unlinkSync(join(this.dir, name));
      } catch {
        // A torn or foreign file: not an app.
      }
    }
    return entries;
  }
}
