import { CutoverError } from './errors.ts';
import { anything, arrayOf, boolean, integer, nonEmptyString, nullable, number, object, oneOf, optional, recordOf, ShapeMismatch, string, withDefault, type Shape } from './record-shape.ts';
import type { AppState, HistoryEntry } from './types.ts';

/*
 * The shape of the state record and of a history line, checked whenever one is read back.
 * Objects keep unknown keys: a record written by a newer cutover, with fields this one does not
 * know, still loads and is saved back whole. Known fields must have their type.
 */

const color = oneOf('blue', 'green');
const colorState = oneOf('empty', 'provisioning', 'ready', 'verified', 'live', 'retired', 'failed');
const operationKind = oneOf('deploy', 'switch', 'rollback', 'finalize', 'maintenance', 'flags');
const phaseName = oneOf('preflight', 'migrate-expand', 'provision', 'verify', 'gate', 'shift', 'switch', 'monitor', 'retire', 'rollback');
const phaseStatus = oneOf('running', 'succeeded', 'failed', 'skipped', 'waiting');
const outcome = oneOf('promoted', 'rolled_back', 'failed', 'aborted', 'stranded');
const flagSet = recordOf(anything);

const colorRecord = object({
  version: nullable(string),
  state: colorState,
  since: string,
  deployedSeq: optional(integer),
});

const phaseRecord = object({
  name: phaseName,
  status: phaseStatus,
  startedAt: string,
  durationMs: number,
  detail: string,
  data: anything,
});

const lockHolder = object({
  pid: integer,
  host: string,
  command: string,
  since: string,
  startTime: optional(nullable(string)),
});

const operation = object({
  id: nonEmptyString,
  kind: operationKind,
  version: nullable(string),
  target: color,
  from: nullable(color),
  phase: phaseName,
  phases: arrayOf(phaseRecord),
  startedAt: string,
  holder: lockHolder,
  options: object({ noSwitch: optional(boolean), yes: optional(boolean), force: optional(boolean), flagsFrom: optional(oneOf('auto', 'live', 'idle', 'defaults')) }),
  abortRequested: optional(boolean),
  promoted: optional(boolean),
});

const appState = object({
  schemaVersion: oneOf(1),
  app: string,
  live: nullable(color),
  colors: object({ blue: colorRecord, green: colorRecord }, 'refuse'),
  operation: nullable(operation),
  maintenance: withDefault(object({ on: boolean, message: optional(string), since: optional(string) }), () => ({ on: false })),
  flags: withDefault(object({ blue: flagSet, green: flagSet }, 'refuse'), () => ({ blue: {}, green: {} })),
  flagsChangedAt: optional(object({ blue: optional(string), green: optional(string) })),
  releases: withDefault(arrayOf(string), () => []),
  lastOutcome: withDefault(nullable(object({ operationId: string, kind: operationKind, outcome, at: string })), () => null),
  updatedAt: withDefault(string, () => new Date(0).toISOString()),
}) as Shape<unknown> as Shape<AppState>;

const historyEntry = object({
  at: string,
  operationId: string,
  kind: operationKind,
  event: oneOf('started', 'phase', 'finished'),
  version: optional(nullable(string)),
  phase: optional(phaseRecord),
  outcome: optional(outcome),
  live: optional(object({ color: nullable(color), version: nullable(string) })),
  message: optional(string),
}) as Shape<unknown> as Shape<HistoryEntry>;

/**
 * Parses the text of a state record. `where` names it for the person reading the error (a
 * file path, a ConfigMap key); `recover` says what to do about it.
 * @throws CutoverError('damaged') naming `where`, the first field that is off, and `recover`.
 */
export function parseAppState(text: string, where: string, recover: string): AppState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw damaged(where, text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(cause as Error).message})`, recover, cause);
  }
  let state: AppState;
  try {
    state = appState(value, '');
  } catch (err) {
    if (err instanceof ShapeMismatch) throw damaged(where, err.message, recover);
    throw err;
  }
  // A live color must be a color that has a release; anything else would send traffic nowhere.
  if (state.live && !state.colors[state.live].version) throw damaged(where, `live: ${state.live} is recorded as live but has no version`, recover);
  return state;
}

/** One history line, or the reason it cannot be read (the caller skips it with a warning). */
export function parseHistoryLine(line: string): { entry: HistoryEntry } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not valid JSON (torn or overwritten)' };
  }
  try {
    return { entry: historyEntry(value, '') };
  } catch (err) {
    if (err instanceof ShapeMismatch) return { problem: err.message };
    throw err;
  }
}

function damaged(where: string, problem: string, recover: string, cause?: unknown): CutoverError {
  return new CutoverError('damaged', `${where} is damaged: ${problem}. cutover changed nothing. ${recover}`, { cause, details: { file: where, problems: [problem] } });
}
