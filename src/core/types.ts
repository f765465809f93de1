/** The two slots a release can occupy. */
export type Color = 'blue' | 'green';
export const COLORS: readonly Color[] = ['blue', 'green'];

export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

/** What the core knows about a release: its version. Drivers resolve how to run it from config. */
export interface Release {
  readonly version: string;
}

/**
 * The lifecycle of one color, as cutover recorded it.
 * empty: nothing ever ran · provisioning: starting · ready: running and answering ·
 * verified: passed checks this operation · live: serves production traffic ·
 * retired: scaled down after a newer color went live · failed: could not be made ready or verified.
 */
export type ColorState = 'empty' | 'provisioning' | 'ready' | 'verified' | 'live' | 'retired' | 'failed';

export interface ColorRecord {
  version: string | null;
  state: ColorState;
  /** ISO time of the last state change. */
  since: string;
  /** Position of this release in deploy order (see AppState.releases); lets migrations order releases. */
  deployedSeq?: number;
}

export type OperationKind = 'deploy' | 'switch' | 'rollback' | 'finalize' | 'maintenance' | 'flags';

export type PhaseName =
  | 'preflight'
  | 'migrate-expand'
  | 'provision'
  | 'verify'
  | 'gate'
  | 'shift'
  | 'switch'
  | 'monitor'
  | 'retire'
  | 'rollback';

export type PhaseStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting';

export interface PhaseRecord {
  name: PhaseName;
  status: PhaseStatus;
  startedAt: string;
  durationMs: number;
  /** One line a person can read: what was checked and what was found. */
  detail: string;
  /** Structured evidence: check reports, smoke output, measurements. */
  data?: unknown;
}

/**
 * How an operation ended. `stranded`: a rollback found nothing healthier to move traffic to,
 * so traffic stays on the failing color; the result names the next command to run.
 */
export type Outcome = 'promoted' | 'rolled_back' | 'failed' | 'aborted' | 'stranded';

export interface LockHolder {
  pid: number;
  host: string;
  /** e.g. `deploy v2` */
  command: string;
  since: string;
  /** Kernel start time of `pid` where the platform records it, so a reused pid is not taken for the holder. */
  startTime?: string | null;
  /** Set when the lock exists but its record is damaged (empty, torn, unreadable): what is wrong with it. */
  damaged?: string;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  /** The version being deployed or rolled back to. */
  version: string | null;
  /** The color being made live. */
  target: Color;
  /** The color that was live when the operation started. */
  from: Color | null;
  /** The phase in progress (or waiting). */
  phase: PhaseName;
  phases: PhaseRecord[];
  startedAt: string;
  holder: LockHolder;
  options: OperationOptions;
  /** Set when someone asked to abort; the running process honours it at the next check. */
  abortRequested?: boolean;
  /** Set by `cutover promote` to release a waiting gate. */
  promoted?: boolean;
}

/**
 * Where a new release's FEATURE_FLAGS_JSON comes from: `live` copies the live color's flags,
 * `idle` keeps what is set on the color it deploys to, `defaults` takes the config's `flags:`,
 * `auto` is `idle` when that color's flags were set after the live color went live (staged for
 * this release with `cutover flags set`), `live` otherwise.
 */
export type FlagsSource = 'auto' | 'live' | 'idle' | 'defaults';

export interface OperationOptions {
  /** Stop at the gate instead of switching. */
  noSwitch?: boolean;
  /** Skip interactive confirmation. */
  yes?: boolean;
  /** Override safety refusals (rollback past a contract migration). */
  force?: boolean;
  /** Where a deploy's new release takes its flags from (see chooseReleaseFlags). Default `auto`. */
  flagsFrom?: FlagsSource;
}

export interface MaintenanceState {
  on: boolean;
  message?: string;
  since?: string;
}

export interface AppState {
  schemaVersion: 1;
  app: string;
  live: Color | null;
  colors: Record<Color, ColorRecord>;
  operation: Operation | null;
  maintenance: MaintenanceState;
  /** FEATURE_FLAGS_JSON per color. */
  flags: Record<Color, Record<string, unknown>>;
  /** When `cutover flags` last changed each color's flags (lets a deploy tell staged flags from stale ones). */
  flagsChangedAt?: Partial<Record<Color, string>>;
  /** Every version ever deployed, oldest first (used to order releases for migration gating). */
  releases: string[];
  /** `message` says why, with the verdict's evidence (e.g. the signal that rolled a release back). */
  lastOutcome: { operationId: string; kind: OperationKind; outcome: Outcome; at: string; message?: string } | null;
  updatedAt: string;
}

export interface HistoryEntry {
  at: string;
  operationId: string;
  kind: OperationKind;
  event: 'started' | 'phase' | 'finished';
  version?: string | null;
  phase?: PhaseRecord;
  outcome?: Outcome;
  live?: { color: Color | null; version: string | null };
  message?: string;
}

export function emptyState(app: string, now = new Date()): AppState {
  const since = now.toISOString();
  return {
    schemaVersion: 1,
    app,
    live: null,
    colors: {
      blue: { version: null, state: 'empty', since },
      green: { version: null, state: 'empty', since },
    },
    operation: null,
    maintenance: { on: false },
    flags: { blue: {}, green: {} },
    releases: [],
    lastOutcome: null,
    updatedAt: since,
  };
}
