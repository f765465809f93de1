import { CutoverError } from './errors.ts';
import type { ColorState, PhaseName } from './types.ts';

/**
 * The legal moves of one color's lifecycle. Anything not listed is a bug in cutover, and
 * the core refuses it rather than writing a state that could send traffic somewhere unproven.
 * In particular only `verified` may become `live`.
 */
export const COLOR_TRANSITIONS: Readonly<Record<ColorState, readonly ColorState[]>> = {
  empty: ['provisioning'],
  provisioning: ['ready', 'failed', 'retired'],
  ready: ['verified', 'failed', 'provisioning', 'retired'],
  verified: ['live', 'failed', 'provisioning', 'retired'],
  live: ['retired', 'failed', 'verified'],
  retired: ['provisioning'],
  failed: ['provisioning', 'retired'],
};

export function canMoveColor(from: ColorState, to: ColorState): boolean {
  return from === to || COLOR_TRANSITIONS[from].includes(to);
}

/** @throws CutoverError('internal') for an illegal move. */
export function assertColorMove(color: string, from: ColorState, to: ColorState): void {
  if (!canMoveColor(from, to)) {
    throw new CutoverError('internal', `illegal state change for ${color}: ${from} -> ${to}`, { details: { color, from, to } });
  }
}

/** Where an operation can go from each phase. `done` ends the operation. */
export type PhaseStep = PhaseName | 'done';

export const PHASE_TRANSITIONS: Readonly<Record<'start' | PhaseName, readonly PhaseStep[]>> = {
  start: ['preflight'],
  // A failed preflight changes nothing, so it ends the operation.
  // Rollback and finalize skip ahead: a rollback whose target still runs goes straight to verify.
  preflight: ['migrate-expand', 'provision', 'verify', 'retire', 'rollback', 'done'],
  'migrate-expand': ['provision', 'done'],
  // Before the switch nothing has touched live traffic: failure or abort just ends the operation.
  provision: ['verify', 'done'],
  verify: ['gate', 'done'],
  gate: ['shift', 'switch', 'done'],
  // From the first progressive step on, a failure means traffic may have moved, so it must go through rollback.
  shift: ['shift', 'switch', 'rollback'],
  switch: ['monitor', 'retire', 'rollback'],
  monitor: ['retire', 'rollback'],
  retire: ['done'],
  rollback: ['done'],
};

export function canMovePhase(from: 'start' | PhaseName, to: PhaseStep): boolean {
  return PHASE_TRANSITIONS[from].includes(to);
}

/** @throws CutoverError('internal') for an illegal move. */
export function assertPhaseMove(from: 'start' | PhaseName, to: PhaseStep): void {
  if (!canMovePhase(from, to)) {
    throw new CutoverError('internal', `illegal phase change: ${from} -> ${to}`, { details: { from, to } });
  }
}

/** The phases a deploy runs, in order. */
export const DEPLOY_PHASES: readonly PhaseName[] = [
  'preflight', 'migrate-expand', 'provision', 'verify', 'gate', 'shift', 'switch', 'monitor', 'retire',
];

/** Phases after which live traffic may already be on the new color. */
export function trafficMayHaveMoved(phase: PhaseName): boolean {
  return phase === 'shift' || phase === 'switch' || phase === 'monitor' || phase === 'retire' || phase === 'rollback';
}
