import type { Color } from '../core/types.ts';

/** One address a check runs against: a replica directly, or a color's preview address. */
export interface CheckTarget {
  /** e.g. `green-0`; appears in every failure line. */
  readonly name: string;
  /** Base URL, e.g. `http://127.0.0.1:41233`; http check paths are appended to it. */
  readonly url: string;
}

/** `GET /health/ready`: fetch a path, expect a status, optionally read a JSON list of sub-checks. */
export interface HttpCheckSpec {
  readonly kind: 'http';
  /** What a person reads in reports, e.g. `GET /health/ready`. */
  readonly name: string;
  /** Path (and query) appended to the target URL; starts with `/`. */
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  /** Exact status wanted; null accepts any 2xx. */
  readonly expectStatus: number | null;
  /** Dotted path of the sub-check list in the JSON body (`checks`, `data.checks`), or null. */
  readonly json: string | null;
  /** A complete answer slower than this fails the check (the runbooks' "response time < 2 s"). */
  readonly maxLatencyMs: number;
  /** Give up waiting for the answer after this long. */
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Opens a TCP connection to the target's port, or to `port` on the target's host. */
export interface TcpCheckSpec {
  readonly kind: 'tcp';
  readonly name: string;
  /** null: the port of the target URL. */
  readonly port: number | null;
  readonly timeoutMs: number;
}

/** Runs argv (no shell) once per target; exit 0 means healthy. */
export interface CommandCheckSpec {
  readonly kind: 'command';
  readonly name: string;
  /** argv[0] is already resolved against the config directory when it is a relative path. */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly timeoutMs: number;
}

export type CheckSpec = HttpCheckSpec | TcpCheckSpec | CommandCheckSpec;

/** The resolved `health:` section: every duration in milliseconds. */
export interface HealthPolicy {
  readonly checks: readonly CheckSpec[];
  /** Time from the start of one round to the start of the next. */
  readonly intervalMs: number;
  /** Consecutive fully healthy rounds needed. */
  readonly successes: number;
  /** Overall budget for waitHealthy. */
  readonly timeoutMs: number;
  /** How long verify keeps probing after the required successes (`health.stableFor`). */
  readonly stableForMs?: number;
}

/** The outcome of one check against one target. */
export interface CheckResult {
  /** The check's name, e.g. `GET /health/ready`, `TCP connect`, `command ./bin/check-db`. */
  check: string;
  /** Target name, e.g. `blue-1`. */
  target: string;
  /** Target URL, so a failure line says where the check went. */
  url: string;
  ok: boolean;
  /** HTTP status, when an answer came back. */
  status?: number;
  latencyMs: number;
  /** Why the check failed, e.g. `503 after 12ms (expected 2xx)`, `connection refused`. Absent when ok. */
  reason?: string;
}

/** What waitHealthy found. */
export interface HealthReport {
  healthy: boolean;
  /** Rounds completed. */
  rounds: number;
  /** Consecutive healthy rounds at the end. */
  consecutive: number;
  durationMs: number;
  /** Results of the last completed round (or of the interrupted first round). */
  last: CheckResult[];
  /** One line for the deploy output. */
  summary: string;
}

/** Passed to `onRound` after every completed round. */
export interface HealthRound {
  round: number;
  ok: boolean;
  consecutive: number;
  results: CheckResult[];
  elapsedMs: number;
}

/** Options shared by checkOnce and waitHealthy. */
export interface CheckRunOptions {
  signal?: AbortSignal;
  /** Given to command checks as CUTOVER_COLOR; inferred from target names like `green-0` when absent. */
  color?: Color;
  /** Extra environment for command checks, on top of the inherited one. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A resolved smoke command. */
export interface SmokeSpec {
  /** What the config said, for reports: the `run:` string, or the argv joined by spaces. */
  readonly command: string;
  /** true: `command` runs through `/bin/sh -c`. false: `argv` runs directly. */
  readonly shell: boolean;
  /** For shell: false, the argv (argv[0] resolved against the config directory when relative). */
  readonly argv: readonly string[];
  /** The config file's directory. */
  readonly cwd: string;
  readonly timeoutMs: number;
}

export interface SmokeResult {
  command: string;
  /** null when the command was killed by a signal or could not start. */
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  /** Tail of stdout and stderr interleaved, capped. */
  output: string;
}

export interface SmokeReport {
  passed: boolean;
  /** One entry per command that ran; commands after the first failure do not run. */
  results: SmokeResult[];
  summary: string;
}
