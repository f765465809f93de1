import type { Color } from './types.ts';

/** Where a hook runs: see `hooks:` in cutover.yaml (src/hooks/config-schema.ts). */
export type HookPointName = 'beforeProvision' | 'afterVerify' | 'beforeSwitch' | 'afterSwitch' | 'afterBake' | 'onRollback' | 'onContractRollback';

/** What a hook command learns about the release, as CUTOVER_* environment variables. */
export interface HookEnvironment {
  app: string;
  operationId: string;
  /** The version being released (or rolled back to). */
  version: string;
  /** The color it runs on. */
  color: Color;
  liveColor: Color | null;
  previousVersion: string | null;
  /** Where the color can be reached before it takes live traffic ('' when unknown). */
  previewUrl: string;
  /** Why a rollback happens (onRollback, onContractRollback). */
  reason?: string;
}

/** One hook command's run, kept in the phase evidence and the history. */
export interface HookRun {
  command: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, the last few kilobytes. */
  output: string;
}

export interface HookReport {
  point: HookPointName;
  ok: boolean;
  summary: string;
  runs: HookRun[];
}

/** Runs the configured `hooks.<point>` commands; absent from CoreDeps when none are configured. */
export interface LifecycleHooks {
  has(point: HookPointName): boolean;
  /** Runs the point's commands in order, stopping at the first failure. */
  run(point: HookPointName, env: HookEnvironment, signal: AbortSignal): Promise<HookReport>;
}
