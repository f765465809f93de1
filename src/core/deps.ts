import type { LifecycleHooks } from './lifecycle-hooks.ts';
import type { CheckTargets, PlatformDriver } from './driver.ts';
import type { GuardrailSettings } from './guardrails/config-schema.ts';
import type { ProgressiveSettings } from './progressive/config-schema.ts';
import type { StateStore } from './store.ts';
import type { Color, LockHolder, PhaseRecord } from './types.ts';

/** The outcome of a check step as the core sees it: pass/fail plus evidence. */
export interface StepReport {
  ok: boolean;
  /** One line for people, e.g. `3/3 rounds healthy on 2 replicas in 3.1s`. */
  summary: string;
  data?: unknown;
}

/**
 * Health checks and smoke tests, configured elsewhere; the core only says where to run them.
 * Never throw for a failing check: return `ok: false` with the reason.
 */
export interface Verifier {
  /** Waits for the configured consecutive healthy rounds against every replica (bounded by the health timeout). */
  health(targets: CheckTargets, signal: AbortSignal): Promise<StepReport>;
  /** One round, for the preflight and the bake window. */
  probe(targets: CheckTargets, signal: AbortSignal): Promise<StepReport>;
  /** Runs the smoke commands against `targets.preview`. */
  smoke(targets: CheckTargets, signal: AbortSignal, context: { color: Color; version: string }): Promise<StepReport>;
}

export type AnalysisVerdict = 'successful' | 'failed' | 'inconclusive' | 'error';

export interface AnalysisReport {
  verdict: AnalysisVerdict;
  summary: string;
  /** Whether a failure should count as critical for the rollback policy. */
  critical?: boolean;
  data?: unknown;
}

/** Pre- and post-promotion analysis (metric providers); absent when none is configured. */
export interface AnalysisHook {
  pre?(context: AnalysisContext, signal: AbortSignal): Promise<AnalysisReport>;
  /** Runs for the bake window or until a failure; resolves early with `failed` on a breach. */
  post?(context: AnalysisContext & { durationMs: number }, signal: AbortSignal): Promise<AnalysisReport>;
  /**
   * How often the soonest post-promotion metric reads (its `interval`), in ms. When a builtin
   * traffic signal fires, the bake window lets the analysis take its next reading, if it is this
   * soon (at most 2 s), before naming the verdict: see `watchColor`.
   */
  postReadingIntervalMs?: number;
}

export interface AnalysisContext {
  app: string;
  color: Color;
  version: string;
  /** The color being replaced and its version, for baseline comparison. */
  baseline: { color: Color; version: string } | null;
  targets: CheckTargets;
  /**
   * Told the analysis so far (same shape as the report's `data`, with verdict `running`) after
   * each measurement, so it is shown while it runs. Must not throw.
   */
  onProgress?: (analysisSoFar: unknown) => void;
}

/** Cumulative counters of live traffic (the main listener) to one color, as the data plane counts them. */
export interface LiveTraffic {
  requests: number;
  errors5xx: number;
  /** Answers the data plane made because the upstream failed: refused or reset connections, timeouts (502/504). */
  upstreamErrors: number;
  /** Cumulative latency histogram: upper bound in seconds (Infinity last) and the count at or below it. */
  latency: ReadonlyArray<{ le: number; count: number }>;
  inFlight: number;
  /** Age of the oldest request still in flight, in milliseconds (0 when none). */
  oldestInFlightMs: number;
}

/**
 * Real traffic as the data plane sees it, for the bake window's builtin signals. Present on the
 * local platform (the router counts it); on Kubernetes only when a metrics source is configured.
 */
export interface TrafficSource {
  /** Never throws: null when the counters cannot be read right now (that reading is skipped). */
  read(color: Color): Promise<LiveTraffic | null>;
}

/** Schema migrations, when configured. */
export interface MigrationsHook {
  /** Lints the expand set. `ok` is false when any finding is an error. */
  lint(): Promise<StepReport>;
  /** Applies pending expand migrations, recording `release` in the ledger. */
  expand(release: string, signal: AbortSignal): Promise<StepReport>;
  /** The contract migration that forbids running `targetVersion` again, as a message, or null. */
  rollbackBlocker(targetVersion: string, releaseOrder: readonly string[]): Promise<string | null>;
}

/** Asks a person. `interactive` is false in CI, with --yes, or without a TTY. */
export interface GatePrompt {
  readonly interactive: boolean;
  confirm(question: string, signal: AbortSignal): Promise<boolean>;
}

/** Progress for people; the CLI renders it as a spinner on a TTY or plain lines otherwise. */
export interface Reporter {
  phaseStarted(name: string, description: string): void;
  progress(text: string): void;
  phaseFinished(record: PhaseRecord): void;
  info(text: string): void;
  warn(text: string): void;
}

export interface LifecycleEvent {
  type: 'operation-started' | 'phase-finished' | 'verdict' | 'operation-finished';
  app: string;
  operationId: string;
  kind: string;
  version: string | null;
  phase?: PhaseRecord;
  outcome?: string;
  message?: string;
}

export interface Clock {
  /** Wall-clock time in ms since the epoch, for timestamps; it can step (NTP, an operator). */
  now(): number;
  /** A monotonic reading in ms, for measuring durations: it never steps with the wall clock. */
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  }),
};

/** Settings the core needs, already validated and resolved (milliseconds, no env lookups). */
export interface CoreSettings {
  readonly app: string;
  readonly provisionTimeoutMs: number;
  readonly gate: 'auto' | 'manual';
  readonly monitor: { readonly durationMs: number; readonly intervalMs: number; readonly failureThreshold: number };
  readonly scaleDown: { readonly delayMs: number; readonly replicas: number };
  /** Refuse to deploy when the live color fails its health probe (overridable with force). */
  readonly requireHealthyLive: boolean;
  /** FEATURE_FLAGS_JSON both colors start with before any `cutover flags set`. */
  readonly defaultFlags?: Readonly<Record<string, unknown>>;
  /** Weighted steps before the full switch (`progressive:`); absent means one atomic switch. */
  readonly progressive?: ProgressiveSettings;
  /** The bake window's builtin signals (`guardrails:`); absent means every default. */
  readonly guardrails?: GuardrailSettings;
  /** How long verify keeps probing after the required successes, with no replica exiting (`health.stableFor`); default 0 here, the config's default otherwise. */
  readonly stableForMs?: number;
  /** Time between stability probes (the health interval); default 1 s. */
  readonly stableIntervalMs?: number;
}

export interface CoreDeps {
  readonly driver: PlatformDriver;
  readonly store: StateStore;
  readonly verifier: Verifier;
  readonly gate: GatePrompt;
  readonly reporter: Reporter;
  readonly settings: CoreSettings;
  readonly holder: Omit<LockHolder, 'since'>;
  readonly migrations?: MigrationsHook;
  readonly analysis?: AnalysisHook;
  /** Real traffic per color for the bake window (local platform). */
  readonly traffic?: TrafficSource;
  readonly notify?: (event: LifecycleEvent) => void;
  /** `hooks:` commands at the phase boundaries; absent when none are configured. */
  readonly lifecycle?: LifecycleHooks;
  readonly clock?: Clock;
}
