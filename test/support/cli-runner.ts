import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cutover', import.meta.url));

/** What one CLI invocation did: its exit code, both streams, and stdout parsed as JSON when it is JSON. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** A CLI process still running (e.g. a deploy a scenario will interrupt). */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process exits, whatever the exit code. */
  readonly done: Promise<CliResult>;
}

/**
 * Runs the real `bin/cutover` as a user or a CI job would: `--config <file> --json`, CI=true,
 * no stdin. Remembers what it started so a test can kill anything left running.
 */
export class CliRunner {
  private readonly cwd: string;
  private readonly defaultConfig: string;
  private readonly defaultTimeoutMs: number;
  private readonly env: Readonly<Record<string, string>>;
  private readonly running = new Set<ChildProcess>();

  /** `env` is added to the environment of every run (e.g. KUBECONFIG). */
  constructor(options: { cwd: string; config: string; timeoutMs: number; env?: Readonly<Record<string, string>> }) {
    this.cwd = options.cwd;
    this.defaultConfig = options.config;
    this.defaultTimeoutMs = options.timeoutMs;
    this.env = options.env ?? {};
  }

  /** Starts `cutover <args> --config <config> --json`; SIGKILLed after the timeout. */
  start(args: string[], options: { config?: string; timeoutMs?: number; env?: Record<string, string> } = {}): RunningCli {
    const child = spawn(process.execPath, [BIN, ...args, '--config', options.config ?? this.defaultConfig, '--json'], {
      cwd: this.cwd,
      env: { ...process.env, ...this.env, CI: 'true', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? this.defaultTimeoutMs);
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        let json: unknown = null;
        try { json = JSON.parse(stdout); } catch { /* not JSON: left null */ }
        resolve({ code, signal, stdout, stderr, json });
      });
    });
    return { child, pid: child.pid!, done };
  }

  /** Runs `cutover <args>` to completion. */
  cli(args: string[], options: { config?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
    return this.start(args, options).done;
  }

  /** SIGKILLs every CLI process this runner started that is still running. */
  killAll(): void {
    for (const child of this.running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

/** A failed CLI call, spelled out for an assertion message. */
export function explain(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
