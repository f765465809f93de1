import type { AppState, Color, Outcome, PhaseRecord } from '../types.ts';

/** What `deploy --json` (and the other operations) print: DESIGN.md's contract plus a few extras. */
export interface OperationResult {
  /** `waiting` only with --no-switch: verified and held at the gate. */
  outcome: Outcome | 'waiting';
  operationId: string;
  kind: string;
  version: string | null;
  live: { color: Color | null; version: string | null };
  phases: PhaseRecord[];
  message: string;
  /** deploy only: the flags the new release started with, and where they came from. */
  flags?: { source: string; values: Record<string, unknown>; reason: string };
  /** With outcome `stranded`: the command a person should run next. */
  next?: string;
}

export function resultFrom(state: AppState, operation: { id: string; kind: string; version: string | null; phases: PhaseRecord[] }, outcome: OperationResult['outcome'], message: string): OperationResult {
  return {
    outcome,
    operationId: operation.id,
    kind: operation.kind,
    version: operation.version,
    live: { color: state.live, version: state.live ? state.colors[state.live].version : null },
    phases: operation.phases,
    message,
  };
}
