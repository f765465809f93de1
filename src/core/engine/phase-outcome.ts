/**
 * How a phase ended, as data. The engine (run-phases.ts) decides what an operation does next
 * from this alone, never from the wording of a message:
 * - `succeeded`: carry on with the next phase;
 * - `waiting`: the gate holds the release for `cutover promote` (the operation is suspended);
 * - `failed`: a check or a step failed; before the switch the operation ends, after it the
 *   engine rolls back;
 * - `declined`: a person stopped the release (declined at the prompt, `cutover abort`,
 *   `cutover rollback`): handled like `failed`, but reported as what was asked for;
 * - `rolled_back`: the rollback phase put traffic back on a verified color;
 * - `stranded`: the rollback phase found nothing healthier to move traffic to; `next` is the
 *   command a person should run.
 */
export type PhaseOutcome =
  | { status: 'succeeded' }
  | { status: 'waiting'; reason: string }
  | { status: 'failed' | 'declined'; reason: string; evidence?: unknown }
  | { status: 'rolled_back'; reason: string; evidence?: unknown }
  | { status: 'stranded'; reason: string; next: string };

/** The two ways a phase stops a release early. */
export type PhaseStop = 'failed' | 'declined';

export const SUCCEEDED: PhaseOutcome = { status: 'succeeded' };

/**
 * Thrown inside a phase (or a helper it calls) to stop it with a readable reason and its
 * evidence; the engine turns it into a `failed` or `declined` PhaseOutcome and records it,
 * never shows a stack. Throwing rather than returning lets the helpers shared by several
 * phases (hooks, watch, verification) stop whichever phase called them.
 */
export class PhaseFailure extends Error {
  readonly data?: unknown;
  readonly stop: PhaseStop;
  constructor(message: string, data?: unknown, stop: PhaseStop = 'failed') {
    super(message);
    this.data = data;
    this.stop = stop;
  }
}

/** A PhaseFailure for a release a person stopped (prompt, abort, rollback request). */
export function declined(message: string, data?: unknown): PhaseFailure {
  return new PhaseFailure(message, data, 'declined');
}
