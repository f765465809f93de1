import { spawn } from 'node:child_process';
import { inheritedFdPadding } from './listener-handoff.ts';
import { openSync, closeSync, mkdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplicaEvent } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';
import { freePort, isPortHeld, isPortOpen } from './free-port.ts';
import { isSameProcessAlive, processStartTime } from '../../process/process-alive.ts';
import { signalProcessGroup } from '../../process/process-group.ts';
import { processEnv, renderArg, type LocalReleaseSpec } from './release-spec.ts';
import { stderrExcerpt } from './stderr-excerpt.ts';

export type ReplicaPhase = 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped';

/** What survives a daemon restart, so the new daemon can adopt a replica that is still running. */
export interface ReplicaSnapshot {
  index: number;
  port: number;
  pid: number | null;
  startTime: string | null;
}

export interface ReplicaExit {
  code: number | null;
  signal: string | null;
  at: number;
  /** What the process's last run wrote to stderr that explains the exit (see stderrExcerpt). */
  stderrExcerpt: string;
}

const READY_POLL_MS = 100;
const ALIVE_POLL_MS = 250;
/** How often a running replica's resident memory is read against its limit. */
const MEMORY_POLL_MS = 500;
/** How a process says it could not listen: Node's EADDRINUSE, or the OS's words (Python, Go, Ruby...). */
const ADDRESS_IN_USE = /EADDRINUSE|address already in use/i;
/**
 * Moves to a fresh port per replica after another socket took its own. A bound, so a setup
 * that keeps losing its ports ends as a crash loop the operator sees, not an endless retry.
 */
const MAX_PORT_MOVES = 3;

/** What one exit left behind, for the crash record. */
interface ExitFacts {
  code: number | null;
  signal: string | null;
  excerpt: string;
  pid: number | null;
}

/** An event the replica reports to its supervisor; the supervisor's log stamps the time. */
export type ReplicaEventInput = Omit<ReplicaEvent, 'at'> & { at?: number };

/**
 * One replica of a color: a child process on its own port, restarted with backoff when it
 * crashes. stdout and stderr go straight to files (not through pipes to the daemon) so a
 * replica outlives a daemon restart and keeps logging, and the next daemon can adopt it.
 */
export class ReplicaProcess {
  readonly color: Color;
  readonly index: number;
  readonly spec: LocalReleaseSpec;
  phase: ReplicaPhase = 'stopped';
  pid: number | null = null;
  private startTime: string | null = null;
  private readonly crashes: number[] = [];
  private currentPort: number;
  private portMoves = 0;
  /** The port another socket took, while a fresh one is being chosen. */
  private lostPort: number | null = null;
  /** Counts starts, so a decision made for one run is dropped once another has begun. */
  private starts = 0;
  lastExit: ReplicaExit | null = null;
  private timer: NodeJS.Timeout | null = null;
  private exitWaiters: Array<() => void> = [];
  private readonly logDir: string;
  private readonly extraEnv: Readonly<Record<string, string>>;
  private readonly onChange: () => void;
  private readonly onEvent: (event: ReplicaEventInput) => void;
  private memoryTimer: NodeJS.Timeout | null = null;
  /** Set when cutover killed the process for memory, so its exit is reported as that. */
  private killedForMemory: number | null = null;
  /** Another daemon manages the process now: never restart, stop or watch it from here. */
  private released = false;

  /** `extraEnv` is added after the release's own environment (the daemon's ownership marker). */
  constructor(options: { color: Color; index: number; port: number; spec: LocalReleaseSpec; logDir: string; extraEnv?: Record<string, string>; onChange: () => void; onEvent?: (event: ReplicaEventInput) => void }) {
    this.color = options.color;
    this.index = options.index;
    this.currentPort = options.port;
    this.spec = options.spec;
    this.logDir = options.logDir;
    this.extraEnv = options.extraEnv ?? {};
    this.onChange = options.onChange;
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** Crashes (unrequested exits) since this replica was created. */
  get restarts(): number {
    return this.crashes.length;
  }

  /** The port the replica listens on; a fresh one after another socket took it (see moveOffTakenPort). */
  get port(): number { return this.currentPort; }

  get name(): string { return `${this.color}-${this.index}`; }
  get stdoutPath(): string { return join(this.logDir, `${this.name}.out.log`); }
  get stderrPath(): string { return join(this.logDir, `${this.name}.err.log`); }

  /** Crashes within the policy window. */
  recentCrashes(now = Date.now()): number {
    return this.crashes.filter((t) => now - t <= this.spec.restart.windowMs).length;
  }

  get crashLooping(): boolean {
    return this.recentCrashes() >= this.spec.restart.crashLoopRestarts;
  }

  start(): void {
    if (this.released || this.phase === 'starting' || this.phase === 'ready') return;
    this.starts++;
    this.lostPort = null;
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
    // Logs may carry secrets the app prints: owner-only, like everything under .cutover/.
    const out = openSync(this.stdoutPath, 'a', 0o600);
    const err = openSync(this.stderrPath, 'a', 0o600);
    const banner = `--- ${new Date().toISOString()} ${this.name} ${this.spec.version} port ${this.port}\n`;
    writeSync(out, banner);
    writeSync(err, banner);
    const argv = this.spec.command.map((a) => renderArg(a, { port: this.port, version: this.spec.version }));
    try {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: this.spec.cwd,
        env: { ...processEnv(this.spec, this.color, this.port, process.env), ...this.extraEnv },
        stdio: ['ignore', out, err, ...inheritedFdPadding()],
        // Own process group: stopping kills the app's children too, and a Ctrl-C aimed at the
        // daemon's terminal does not reach the app before the daemon can drain it.
        detached: true,
      });
      this.phase = 'starting';
      child.once('error', (error) => {
        // spawn failures (ENOENT, EACCES on cwd or binary) arrive here, not as an exit.
        appendLine(this.stderrPath, `cutover: could not start ${argv[0]} in ${this.spec.cwd}: ${error.message}`);
        this.handleExit(null, null);
      });
      child.once('exit', (code, signal) => this.handleExit(code, signal));
      child.unref();
      this.pid = child.pid ?? null;
      this.startTime = this.pid ? processStartTime(this.pid) : null;
    } finally {
      closeSync(out);
      closeSync(err);
    }
    this.onChange();
    this.pollReady();
    this.watchMemory();
  }

  /** Takes over a replica started by a previous daemon. Returns false if it is gone. */
  adopt(snapshot: ReplicaSnapshot): boolean {
    if (!snapshot.pid || !isSameProcessAlive(snapshot.pid, snapshot.startTime)) return false;
    this.pid = snapshot.pid;
    this.startTime = snapshot.startTime;
    this.phase = 'starting';
    this.pollReady();
    this.pollAlive();
    this.watchMemory();
    return true;
  }

  snapshot(): ReplicaSnapshot {
    return { index: this.index, port: this.port, pid: this.pid, startTime: this.startTime };
  }

  private pollReady(): void {
    this.clearTimer();
    this.timer = setTimeout(async () => {
      if (this.phase !== 'starting') return;
      if (await isPortOpen(this.port)) {
        if (this.phase !== 'starting') return;
        this.phase = 'ready';
        this.onChange();
      } else {
        this.pollReady();
      }
    }, READY_POLL_MS);
  }

  /** Adopted processes are not our children, so no 'exit' event: poll instead. */
  private pollAlive(): void {
    const tick = () => {
      if (this.phase === 'stopped' || this.phase === 'backoff') return;
      if (this.pid && !isSameProcessAlive(this.pid, this.startTime)) {
        this.handleExit(null, null);
        return;
      }
      setTimeout(tick, ALIVE_POLL_MS).unref();
    };
    setTimeout(tick, ALIVE_POLL_MS).unref();
  }

  /**
   * Like a container memory limit: a replica whose resident set grows past
   * `spec.memoryLimitBytes` is killed (and restarted by the usual policy), and the kill is
   * reported as such. Linux only (/proc); elsewhere memory is not watched.
   */
  private watchMemory(): void {
    const limit = this.spec.memoryLimitBytes;
    if (!limit || this.memoryTimer || process.platform !== 'linux') return;
    this.memoryTimer = setInterval(() => {
      const pid = this.pid;
      if (!pid || (this.phase !== 'starting' && this.phase !== 'ready')) return;
      const rss = residentBytes(pid);
      if (rss === null || rss <= limit) return;
      this.killedForMemory = rss;
      this.onEvent({
        id: `${this.name}:pid${pid}:memory`,
        kind: 'memory-limit',
        color: this.color,
        replica: this.name,
        restarts: this.restarts,
        memoryBytes: rss,
        detail: `${this.name} used ${mib(rss)} of memory, past its ${mib(limit)} limit (platform.memoryLimit); killed`,
      });
      signalProcessGroup(pid, 'SIGKILL');
    }, MEMORY_POLL_MS);
    this.memoryTimer.unref();
  }

  private stopMemoryWatch(): void {
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.memoryTimer = null;
  }

  private handleExit(code: number | null, signal: string | null): void {
    if (this.released) return;
    if (this.phase === 'stopped' && this.pid === null) return;
    const expected = this.phase === 'stopping';
    const pid = this.pid;
    this.clearTimer();
    this.stopMemoryWatch();
    this.pid = null;
    this.startTime = null;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    waiters.forEach((w) => w());
    if (expected || this.phase === 'stopped') {
      this.phase = 'stopped';
      this.onChange();
      return;
    }
    const excerpt = stderrExcerpt(this.stderrPath);
    if (this.portMoves < MAX_PORT_MOVES && ADDRESS_IN_USE.test(excerpt)) {
      this.phase = 'backoff';
      this.lostPort = this.port;
      void this.restartOffTakenPort(this.starts, { code, signal, excerpt, pid });
      this.onChange();
      return;
    }
    this.recordCrash({ code, signal, excerpt, pid });
  }

  /**
   * The app could not listen and the port we gave it is held by another socket (the port was
   * probed free, but is taken in the moment before the app binds it): not the release's fault,
   * and restarting on the same port would fail the same way. Start again at once on a fresh
   * port, without counting a crash. If the port is free, the app failed on some other address
   * of its own: that is a crash like any other.
   */
  private async restartOffTakenPort(run: number, exit: ExitFacts): Promise<void> {
    const moved = await this.moveOffTakenPort('its exit is not counted as a crash');
    if (!this.stillInBackoff(run)) return;
    if (moved === null) return this.recordCrash(exit);
    this.phase = 'stopped';
    this.start();
  }

  /**
   * Moves to a fresh port when another socket holds this one, so the next start can listen:
   * up to MAX_PORT_MOVES times, then the port is kept and the start fails as it will. Says so
   * in the replica's stderr log. Returns the port given up, or null when it stays. Call only
   * while no process of this replica runs (stopped, in backoff, or before a restore's start).
   */
  async moveOffTakenPort(note?: string): Promise<number | null> {
    if (this.portMoves >= MAX_PORT_MOVES) return null;
    const taken = this.port;
    if (!(await isPortHeld(taken))) return null;
    let fresh: number;
    try {
      fresh = await freePort();
    } catch {
      return null;
    }
    this.portMoves++;
    this.currentPort = fresh;
    appendLine(this.stderrPath, `cutover: port ${taken} is held by another socket; ${this.name} starts on port ${fresh} instead${note ? ` (${note})` : ''}`);
    return taken;
  }

  /** Still waiting in the backoff of start number `run` (not stopped, restarted or released since). */
  private stillInBackoff(run: number): boolean {
    return this.starts === run && this.phase === 'backoff' && !this.released;
  }

  private recordCrash({ code, signal, excerpt, pid }: ExitFacts): void {
    const now = Date.now();
    this.crashes.push(now);
    this.lastExit = { code, signal, at: now, stderrExcerpt: excerpt };
    this.lostPort = null;
    this.phase = 'backoff';
    const n = this.recentCrashes(now);
    this.reportExit(pid, code, signal, now, n);
    const delay = Math.min(this.spec.restart.maxBackoffMs, this.spec.restart.backoffMs * 2 ** Math.max(0, n - 1));
    const run = this.starts;
    this.timer = setTimeout(async () => {
      if (!this.stillInBackoff(run)) return;
      // Free when this run began, the port may have been taken while the replica was down.
      await this.moveOffTakenPort();
      if (!this.stillInBackoff(run)) return;
      this.phase = 'stopped';
      this.start();
    }, delay);
    this.onChange();
  }

  private reportExit(pid: number | null, code: number | null, signal: string | null, now: number, recent: number): void {
    const recentTimes = this.crashes.filter((t) => now - t <= this.spec.restart.windowMs);
    const spanMs = recentTimes.length > 1 ? now - recentTimes[0]! : 0;
    const how = this.killedForMemory !== null ? `was killed for memory (${mib(this.killedForMemory)})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.killedForMemory = null;
    const history = recent > 1 ? ` (${recent} restarts in ${(spanMs / 1000).toFixed(1)}s)` : '';
    const why = this.lastExit?.stderrExcerpt ? `: ${this.lastExit.stderrExcerpt}` : '';
    const base = { color: this.color, replica: this.name, at: now, restarts: this.restarts, recentRestarts: recent, recentWindowMs: this.spec.restart.windowMs, exitCode: code, signal };
    const key = `${this.name}:${pid ? `pid${pid}` : `spawn${now}`}`;
    this.onEvent({ ...base, id: `${key}:exit`, kind: 'exited', detail: `${this.name} ${how}${history}${why}` });
    if (recent === this.spec.restart.crashLoopRestarts) {
      this.onEvent({ ...base, id: `${key}:crash-loop`, kind: 'crash-loop', detail: `${this.name} is crash-looping: ${recent} crashes within ${Math.round(this.spec.restart.windowMs / 1000)}s${why}` });
    }
  }

  /**
   * Lets go of the process for a daemon that took over: it keeps running, and this object
   * no longer restarts, kills or watches it. Idempotent.
   */
  release(): void {
    this.released = true;
    this.clearTimer();
    this.stopMemoryWatch();
  }

  /** SIGTERM to the process group, SIGKILL after `timeoutMs`. Idempotent. */
  async stop(timeoutMs = this.spec.stopTimeoutMs): Promise<void> {
    this.clearTimer();
    this.stopMemoryWatch();
    const pid = this.pid;
    if (!pid) {
      this.phase = 'stopped';
      return;
    }
    this.phase = 'stopping';
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    signalProcessGroup(pid, 'SIGTERM');
    const killTimer = setTimeout(() => signalProcessGroup(pid, 'SIGKILL'), timeoutMs);
    // Adopted processes have no exit event; poll until gone.
    const poll = setInterval(() => {
      if (!isSameProcessAlive(pid, this.startTime)) this.handleExit(null, 'SIGTERM');
    }, 100);
    await exited;
    clearTimeout(killTimer);
    clearInterval(poll);
    // The group may still hold grandchildren that ignored SIGTERM.
    signalProcessGroup(pid, 'SIGKILL');
  }

  describe(): string {
    if (this.phase === 'backoff' && this.lostPort !== null) return `${this.name} lost port ${this.lostPort} to another socket before listening; starting again on a fresh port`;
    if (this.phase === 'backoff' && this.lastExit) {
      const how = this.lastExit.signal ? `signal ${this.lastExit.signal}` : `code ${this.lastExit.code}`;
      const why = this.lastExit.stderrExcerpt ? `: ${this.lastExit.stderrExcerpt}` : '';
      return `${this.name} exited with ${how}, ${this.recentCrashes()} crash(es) recently${why}`;
    }
    return `${this.name} ${this.phase} on port ${this.port}`;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** VmRSS of one process, from /proc; null when unreadable (gone, or not Linux). */
function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)}Mi`;
}

function appendLine(path: string, line: string): void {
  try {
    const fd = openSync(path, 'a');
    writeSync(fd, `${line}\n`);
    closeSync(fd);
  } catch { /* logging must never break supervision */ }
}
