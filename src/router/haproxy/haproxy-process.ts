import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../../core/errors.ts';
import { runtimeCommand } from './runtime-api.ts';

/** Where the Debian package installs it; PATH is searched first. */
const DEBIAN_BINARY = '/usr/sbin/haproxy';

/**
 * The HAProxy binary to run, or a config error that names the package (exit 2): a missing
 * data plane is a setup problem the user fixes with one command, not a failed release.
 */
export function findHaproxy(explicit?: string): string {
  const candidates = explicit ? [explicit] : [...(process.env['PATH'] ?? '').split(':').filter(Boolean).map((d) => join(d, 'haproxy')), DEBIAN_BINARY];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch { /* next */ }
  }
  throw new CutoverError('config', `router.engine: haproxy needs the haproxy binary, and ${explicit ?? 'none is on PATH or at /usr/sbin/haproxy'}${explicit ? ' cannot be run' : ''}; install the Debian package: apt-get install haproxy (2.6 or later)`, {
    details: { field: 'router.engine', package: 'haproxy' },
  });
}

/** Longest single reason quoted; HAProxy lists every keyword it accepts when one is unknown. */
const MAX_REASON_CHARS = 360;

/**
 * The reasons in `haproxy -c` output: its ALERT lines without the log prefix, minus the
 * closing summary ("Error(s) found", "Fatal errors found"), each shortened in the middle.
 */
export function refusalReasons(output: string): string {
  const alerts = output.split('\n')
    .map((line) => /^\[ALERT\]\s*\(\d+\)\s*:\s*(?:config\s*:\s*)?(.*)$/.exec(line.trim())?.[1]?.trim())
    .filter((line): line is string => !!line && !/^(Error\(s\) found in configuration file|Fatal errors found in configuration)/.test(line));
  const reasons = alerts.length > 0 ? alerts : output.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[NOTICE]'));
  if (reasons.length === 0) return 'haproxy -c failed without saying why';
  const cut = (r: string) => (r.length <= MAX_REASON_CHARS ? r : `${r.slice(0, MAX_REASON_CHARS - 120)} … ${r.slice(-110)}`);
  return reasons.slice(0, 3).map(cut).join('; ') + (reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : '');
}

/** Pacing while a real HAProxy process starts or stops: data-plane I/O, so real time, not the Clock. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid of the worker that answers on the Runtime API socket, or null when none answers. */
export async function workerPid(runtimeSocket: string): Promise<number | null> {
  try {
    const info = await runtimeCommand(runtimeSocket, 'show info', 1_000);
    const m = /^Pid: (\d+)$/m.exec(info);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * One HAProxy master (master-worker mode, `-W`) started by the daemon. The master is the
 * daemon's child but outlives it (its own process group): when the daemon dies, traffic
 * keeps flowing, and the next daemon adopts the master through its CLI socket and reloads
 * it, which hands the listening sockets to the new worker (`expose-fd listeners`), so no
 * connection is refused across a daemon restart.
 */
export class HaproxyMaster {
  readonly binary: string;
  readonly configFile: string;
  readonly masterSocket: string;
  readonly runtimeSocket: string;
  readonly logFile: string;
  readonly pidFile: string;
  #child: ChildProcess | null = null;
  #exited: ((code: number | null) => void) | null = null;

  constructor(binary: string, dir: string) {
    this.binary = binary;
    this.configFile = join(dir, 'haproxy.cfg');
    this.masterSocket = join(dir, 'master.sock');
    this.runtimeSocket = join(dir, 'runtime.sock');
    this.logFile = join(dir, 'haproxy.log');
    this.pidFile = join(dir, 'haproxy.pid');
  }

  /** Called when the master this object started exits on its own. */
  onExit(listener: (code: number | null) => void): void {
    this.#exited = listener;
  }

  /** Checks the config with `haproxy -c`: a bad config is refused before anything runs. */
  async check(): Promise<void> {
    // Not `-q`: it silences the alerts too, and they are the only place the reason is written.
    const { code, output } = await this.#run([this.binary, '-c', '-f', this.configFile]);
    if (code !== 0) throw new CutoverError('config', `HAProxy refused the generated config ${this.configFile}: ${refusalReasons(output)}`);
  }

  /** True when a master from an earlier daemon answers on the master socket. */
  async running(): Promise<boolean> {
    if (!existsSync(this.masterSocket)) return false;
    try {
      await runtimeCommand(this.masterSocket, 'show proc', 1_000);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts a new master and waits until its worker answers on the Runtime API. */
  async start(timeoutMs = 10_000): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn(this.binary, ['-W', '-f', this.configFile, '-S', `${this.masterSocket},mode,600`, '-p', this.pidFile], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.unref();
    this.#child = child;
    let exitCode: number | null | undefined;
    child.once('exit', (code) => {
      exitCode = code;
      if (this.#child === child) {
        this.#child = null;
        this.#exited?.(code);
      }
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new CutoverError('config', `HAProxy exited with code ${exitCode} at start; see ${this.logFile}`);
      if (await workerPid(this.runtimeSocket) !== null) return;
      await sleep(25);
    }
    throw new CutoverError('unreachable', `HAProxy did not answer on ${this.runtimeSocket} within ${timeoutMs}ms; see ${this.logFile}`);
  }

  /**
   * Seamless reload through the master CLI: the master re-reads the config and starts a new
   * worker that takes over the listening sockets; the old worker finishes its connections.
   * Resolves once a new worker answers on the Runtime API.
   */
  async reload(timeoutMs = 10_000): Promise<void> {
    const before = await workerPid(this.runtimeSocket);
    await runtimeCommand(this.masterSocket, 'reload', 5_000);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const pid = await workerPid(this.runtimeSocket);
      // The new worker inherits the Runtime API's listening socket, which the old one still
      // accepts on until it has begun stopping: until then a command could land on the old
      // worker alone, so wait for that too.
      if (pid !== null && pid !== before && (before === null || await this.#stopping(before))) return;
      await sleep(25);
    }
    throw new CutoverError('unreachable', `HAProxy did not bring up a new worker within ${timeoutMs}ms of a reload; see ${this.logFile}`);
  }

  /** Runs Runtime API commands (`; `-separated) on one worker, an old one too, through the master CLI. */
  #commandOnWorker(pid: number, line: string, timeoutMs?: number): Promise<string> {
    return runtimeCommand(this.masterSocket, line.split('; ').map((cmd) => `@!${pid} ${cmd}`).join('; '), timeoutMs);
  }

  /** True when worker `pid` has begun its soft stop (its listeners are closed), or is gone. */
  async #stopping(pid: number): Promise<boolean> {
    try {
      const info = await this.#commandOnWorker(pid, 'show info', 1_000);
      return !/^Pid: /m.test(info) || /^Stopping: 1$/m.test(info);
    } catch {
      return false;
    }
  }

  /** The master's pid, from its CLI; null when it does not answer. */
  async masterPid(): Promise<number | null> {
    try {
      const text = await runtimeCommand(this.masterSocket, 'show proc', 1_000);
      const m = /^(\d+)\s+master\b/m.exec(text);
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }

  /** Stops the master and its workers (SIGUSR1 would wait for connections; `down` means now). Idempotent. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const pid = this.#child?.pid ?? await this.masterPid() ?? this.#pidFromFile();
    this.#child = null;
    if (!pid) return;
    try { process.kill(pid, 'SIGTERM'); } catch { return; }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try { process.kill(pid, 0); } catch { return; }
      await sleep(25);
    }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }

  #pidFromFile(): number | null {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  #run(argv: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
      child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
      child.on('error', (err) => resolve({ code: -1, output: err.message }));
      child.on('close', (code) => resolve({ code, output }));
    });
  }
}
