import type { RouterCounters } from '../router/router-counters.ts';
import type { Color, Release } from './types.ts';

/** What the platform reports about one color right now (reality, not cutover's record). */
export interface ColorStatus {
  version: string | null;
  /** Replicas asked for. */
  desired: number;
  /** Replicas running and accepting connections (locally) or Ready (Kubernetes). */
  ready: number;
  /** The color's processes or pods keep crashing; it must never be made live. */
  crashLooping: boolean;
  /** One line about anything unusual, e.g. `replica 1 exited with code 1, restart 3 in 4s`. */
  detail?: string;
}

export interface PlatformStatus {
  /** The color that live traffic actually goes to, or null when none. */
  live: Color | null;
  colors: Record<Color, ColorStatus>;
  maintenance: { on: boolean; message?: string };
}

/** Addresses that checks run against. */
export interface CheckTargets {
  /** Each replica directly, so a check proves every one of them. May be empty when unreachable from here. */
  replicas: Array<{ name: string; url: string }>;
  /** One address that reaches the color as a whole (the router's preview listener, a preview Service). */
  preview: string;
}

export interface SwitchResult {
  from: Color | null;
  to: Color;
  /** Time from the request to the platform accepting the change. */
  durationMs: number;
}

export interface TrafficProof {
  ok: boolean;
  /** Evidence a person can read, e.g. `20/20 probes answered by green; 0 requests reached blue after the switch`. */
  detail: string;
  durationMs: number;
}

export interface ReadyReport {
  ready: number;
  desired: number;
  durationMs: number;
}

export interface LogLine {
  color: Color;
  source: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** One finding of `cutover doctor`: a verdict a person can act on. */
export interface Diagnosis {
  check: string;
  verdict: 'ok' | 'warning' | 'problem';
  detail: string;
  fix?: string;
}

/** A header or cookie whose listed values put a request in the cohort. */
export interface CohortMatch {
  name: string;
  values: string[];
}

/** Who goes to the new color during a progressive shift, besides the percentage. */
export interface SplitRouting {
  /** Keeps a client on one color: a cookie the router sets, or a header whose value is hashed. */
  sticky: { cookie?: string; header?: string };
  /** Requests matching these go to the new color at every step, before any percentage. */
  cohort?: { header?: CohortMatch; cookie?: CohortMatch };
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
}

/**
 * What happened to one replica (a local process) or pod. Failures of the release:
 * `exited` (a process or container ended without being asked to), `crash-loop`,
 * `oom-killed` (the kernel or kubelet killed it for memory), `memory-limit` (locally: RSS past
 * the configured limit; the supervisor restarts it), `not-ready` (ready count fell below
 * desired). Not a failure: `replaced` (the platform removed a replica on purpose and started a
 * new one: a ReplicaSet replacing a deleted or evicted pod, a rolling restart for flags).
 */
export type ReplicaEventKind = 'exited' | 'crash-loop' | 'oom-killed' | 'memory-limit' | 'not-ready' | 'replaced';

/** One observed replica or pod event. */
export interface ReplicaEvent {
  /**
   * Stable across calls for the same happening (e.g. `green-1:exit:3` or `<pod uid>:restart:2`),
   * so a caller that reads overlapping pages, or resumes after a crash, counts it once.
   */
  id: string;
  kind: ReplicaEventKind;
  color: Color;
  /** The replica or pod name, e.g. `green-1` or `shop-api-green-7d9f-x2k`. */
  replica: string;
  /** When the platform observed it, in epoch milliseconds (the platform's clock). */
  at: number;
  /** Restarts of this replica or pod so far, counting this one when it caused a restart. */
  restarts: number;
  /** Restarts of this replica within the platform's crash window, when known. */
  recentRestarts?: number;
  /** The window `recentRestarts` counts over, in milliseconds. */
  recentWindowMs?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** Resident memory in bytes when the event is about memory. */
  memoryBytes?: number;
  /**
   * Evidence a person can read, without the time (the core adds it relative to its phase):
   * `green-1 exited with code 1 (2 restarts in 4s): Error: boom`, or
   * `pod shop-api-green-x2k OOMKilled (restart 3)`.
   */
  detail: string;
}

/** A page of replica events, plus the color's replica count now. */
export interface ReplicaEventPage {
  /** Events with `at > since`, oldest first. */
  events: ReplicaEvent[];
  /**
   * Pass back as the next `since` to get only newer events. At least every returned event's
   * `at`, so no event is returned twice by well-behaved callers; ids make duplicates harmless.
   */
  cursor: number;
  /** Replicas asked for and replicas ready (locally: accepting connections; Kubernetes: Ready) now. */
  desired: number;
  ready: number;
}

/**
 * A platform runs releases in two colors and moves traffic between them.
 * Every method is idempotent: calling it again with the same arguments after a crash is safe.
 * Expected failures are thrown as CutoverError with a message naming the color and the reason;
 * an unreachable platform throws CutoverError('unreachable').
 */
export interface PlatformDriver {
  readonly kind: string;
  /**
   * status() already reflects health the platform measures itself (Kubernetes readiness
   * probes), so `cutover status` reads it rather than probing every replica again.
   */
  readonly reportsHealth?: boolean;

  /** Reads reality. Idempotent, no side effects. */
  status(): Promise<PlatformStatus>;

  /**
   * Checks the platform's own config files before an operation changes anything (Kubernetes:
   * the Deployment template). Optional. @throws CutoverError('config') naming what is wrong.
   */
  checkConfig?(): Promise<string>;

  /**
   * Starts (or scales back up) `release` on `color`. If that color already runs the same version
   * with the desired replicas, nothing is restarted. Returns once the start was accepted, not when ready.
   */
  provision(color: Color, release: Release, flags: Record<string, unknown>): Promise<void>;

  /**
   * Waits until every replica of `color` is ready.
   * @throws CutoverError('operation-failed') on timeout or crash loop, naming how many are ready and why not.
   */
  waitReady(color: Color, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ReadyReport>;

  /**
   * The color a first deploy (nothing recorded as live) should use. Optional; default blue.
   * Kubernetes answers the color the user's Service does not select yet, so the selector is
   * never moved onto a color without ready pods. Reads only.
   */
  firstColor?(): Promise<Color>;

  /** Where health checks and smoke tests reach `color` without touching live traffic. */
  targets(color: Color): Promise<CheckTargets>;

  /**
   * Points live traffic at `to`. Idempotent; does not check health (the core already has).
   * `partial`: an emergency rollback to a color that is healthier than the live one but not
   * yet fully ready; only its ready replicas get traffic. Without it a driver may refuse a
   * color that is not fully ready.
   */
  switchTraffic(to: Color, options?: { partial?: boolean }): Promise<SwitchResult>;

  /**
   * Proves that live traffic reaches `to` and only `to`. Never throws for a negative answer.
   * `partial`: replicas of `to` that are not ready yet may be listed (they get no traffic).
   */
  verifyTraffic(to: Color, options?: { timeoutMs?: number; partial?: boolean }): Promise<TrafficProof>;

  /**
   * Progressive delivery: sends `percent`% of live traffic, plus the cohort, to `canary`, while
   * the live color keeps the rest and stays live. Idempotent; raising the percentage only moves
   * clients from the live color to the canary. Optional: a driver without it cannot run
   * `progressive:` (the CLI refuses such a config).
   * @throws CutoverError('refused') when nothing is live or `canary` has nothing running.
   */
  shiftTraffic?(canary: Color, percent: number, routing: SplitRouting): Promise<SwitchResult>;

  /** Proves the split set by `shiftTraffic` is in force. Never throws for a negative answer. */
  verifySplit?(canary: Color, percent: number, routing: SplitRouting): Promise<TrafficProof>;

  /** Ends any split: all live traffic to the live color. Idempotent (no split is fine). */
  endSplit?(): Promise<void>;

  /**
   * The counters of the router cutover runs in front of the colors (the local platform's), as
   * JSON: what the builtin metrics provider, the bake window's traffic source and the dashboard
   * read. Optional: a platform whose traffic cutover does not carry has none.
   */
  routerCounters?(): Promise<RouterCounters>;

  /** Drains and scales `color` down to `replicas` (locally: stops it). Idempotent. */
  retire(color: Color, options?: { replicas?: number }): Promise<void>;

  /** Sets FEATURE_FLAGS_JSON on `color` and restarts it (rolling when `rolling`). */
  setFlags(color: Color, flags: Record<string, unknown>, options?: { rolling?: boolean }): Promise<void>;

  /** Turns maintenance mode on or off. Off restores exactly what was there before. */
  maintenance(on: boolean, message?: string): Promise<void>;

  /** Streams the logs of `color`. */
  logs(color: Color, options?: LogOptions): AsyncIterable<LogLine>;

  /**
   * Replica and pod events of `color` observed after `since` (epoch ms, platform clock; pass 0,
   * or the start of the phase, the first time and the returned `cursor` afterwards). With
   * `waitMs`, a long poll: returns as soon as there is at least one such event, or after
   * `waitMs` with none, or when `signal` aborts; this is how the core learns of a crash at
   * once rather than at its next probe. Idempotent and side-effect free: the platform keeps
   * its event log (bounded, recent events) whether or not anyone reads it, so a `resume` in a
   * new process can read what happened while no one was watching.
   * Optional: without it the core falls back to `status()` (ready count, crash loop) each round.
   * @throws CutoverError('unreachable') when the platform cannot be reached.
   */
  replicaEvents?(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage>;

  /**
   * The platform itself is gone (the local daemon died): starts it again from its own record, as
   * `cutover up` does, and returns one line saying what it did. A rollback calls it when the
   * platform cannot be reached, so traffic goes back to a verified color with no manual step.
   * Idempotent (a platform already up is left alone).
   * @throws CutoverError when it cannot be started, naming why.
   */
  restartPlatform?(): Promise<string>;

  /** Platform-specific troubleshooting for `cutover doctor` (the runbooks' troubleshooting sections). */
  diagnose?(): Promise<Diagnosis[]>;

  /**
   * What would keep `release` from starting, checked by preflight before anything changes
   * (for example a missing working directory or binary). Empty when nothing is wrong.
   */
  releaseProblems?(release: Release): Promise<string[]>;

  /** Releases connections and timers held by the driver. Does not stop the platform. */
  close(): Promise<void>;
}
