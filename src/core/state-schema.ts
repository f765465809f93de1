import * as z from 'zod';
import { formatIssues } from '../config/format-issues.ts';
import { CutoverError } from './errors.ts';
import type { AppState, HistoryEntry } from './types.ts';

/*
 * The shape of the state record and of a history line, checked whenever one is read back.
 * Objects are loose (unknown keys kept): a record written by a newer cutover, with fields this
 * one does not know, still loads and is saved back whole. Known fields must have their type.
 */

const color = z.enum(['blue', 'green']);
const colorState = z.enum(['empty', 'provisioning', 'ready', 'verified', 'live', 'retired', 'failed']);
const operationKind = z.enum(['deploy', 'switch', 'rollback', 'finalize', 'maintenance', 'flags']);
const phaseName = z.enum(['preflight', 'migrate-expand', 'provision', 'verify', 'gate', 'shift', 'switch', 'monitor', 'retire', 'rollback']);
const phaseStatus = z.enum(['running', 'succeeded', 'failed', 'skipped', 'waiting']);
const outcome = z.enum(['promoted', 'rolled_back', 'failed', 'aborted', 'stranded']);
const flagSet = z.record(z.string(), z.unknown());

const colorRecord = z.looseObject({
  version: z.string().nullable(),
  state: colorState,
  since: z.string(),
  deployedSeq: z.number().int().optional(),
});

const phaseRecord = z.looseObject({
  name: phaseName,
  status: phaseStatus,
  startedAt: z.string(),
  durationMs: z.number(),
  detail: z.string(),
  data: z.unknown().optional(),
});

const lockHolder = z.looseObject({
  pid: z.number().int(),
  host: z.string(),
  command: z.string(),
  since: z.string(),
  startTime: z.string().nullable().optional(),
});

const operation = z.looseObject({
  id: z.string().min(1),
  kind: operationKind,
  version: z.string().nullable(),
  target: color,
  from: color.nullable(),
  phase: phaseName,
  phases: z.array(phaseRecord),
  startedAt: z.string(),
  holder: lockHolder,
  options: z.looseObject({ noSwitch: z.boolean().optional(), yes: z.boolean().optional(), force: z.boolean().optional(), flagsFrom: z.enum(['auto', 'live', 'idle', 'defaults']).optional() }),
  abortRequested: z.boolean().optional(),
  promoted: z.boolean().optional(),
});

export const appStateSchema = z.looseObject({
  schemaVersion: z.literal(1),
  app: z.string(),
  live: color.nullable(),
  colors: z.strictObject({ blue: colorRecord, green: colorRecord }),
  operation: operation.nullable(),
  maintenance: z.looseObject({ on: z.boolean(), message: z.string().optional(), since: z.string().optional() }).default({ on: false }),
  flags: z.strictObject({ blue: flagSet, green: flagSet }).default({ blue: {}, green: {} }),
  flagsChangedAt: z.looseObject({ blue: z.string().optional(), green: z.string().optional() }).optional(),
  releases: z.array(z.string()).default([]),
  lastOutcome: z.looseObject({ operationId: z.string(), kind: operationKind, outcome, at: z.string() }).nullable().default(null),
  updatedAt: z.string().default(() => new Date(0).toISOString()),
});

export const historyEntrySchema = z.looseObject({
  at: z.string(),
  operationId: z.string(),
  kind: operationKind,
  event: z.enum(['started', 'phase', 'finished']),
  version: z.string().nullable().optional(),
  phase: phaseRecord.optional(),
  outcome: outcome.optional(),
  live: z.looseObject({ color: color.nullable(), version: z.string().nullable() }).optional(),
  message: z.string().optional(),
});

/**
 * Parses the text of a state record. `where` names it for the person reading the error (a
 * file path, a ConfigMap key); `recover` says what to do about it.
 * @throws CutoverError('damaged') naming `where`, the first problems by field path, and `recover`.
 */
export function parseAppState(text: string, where: string, recover: string): AppState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw damaged(where, [text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(cause as Error).message})`], recover, cause);
  }
  const result = appStateSchema.safeParse(value);
  if (!result.success) throw damaged(where, formatIssues(result.error.issues, value).slice(0, 5), recover);
  const state = result.data as AppState;
  // A live color must be a color that has a release; anything else would send traffic nowhere.
  if (state.live && !state.colors[state.live].version) throw damaged(where, [`live: ${state.live} is recorded as live but has no version`], recover);
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
  const result = historyEntrySchema.safeParse(value);
  if (!result.success) return { problem: formatIssues(result.error.issues, value).slice(0, 2).join('; ') };
  return { entry: result.data as HistoryEntry };
}

function damaged(where: string, problems: string[], recover: string, cause?: unknown): CutoverError {
  return new CutoverError('damaged', `${where} is damaged: ${problems.join('; ')}. cutover changed nothing. ${recover}`, { cause, details: { file: where, problems } });
}
