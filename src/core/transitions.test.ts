import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from './errors.ts';
import { COLOR_TRANSITIONS, PHASE_TRANSITIONS, assertColorMove, assertPhaseMove, canMoveColor, canMovePhase, type PhaseStep } from './transitions.ts';
import type { ColorState, PhaseName } from './types.ts';

const COLOR_STATES = Object.keys(COLOR_TRANSITIONS) as ColorState[];
const PHASES = Object.keys(PHASE_TRANSITIONS).filter((p) => p !== 'start') as PhaseName[];
const STEPS: PhaseStep[] = [...PHASES, 'done'];

describe('color lifecycle', () => {
  for (const from of COLOR_STATES) {
    for (const to of COLOR_STATES) {
      const legal = from === to || COLOR_TRANSITIONS[from].includes(to);
      test(`${from} -> ${to} is ${legal ? 'legal' : 'refused'}`, () => {
        assert.equal(canMoveColor(from, to), legal);
        if (legal) assertColorMove('green', from, to);
        else assert.throws(() => assertColorMove('green', from, to), (err: unknown) => err instanceof CutoverError && /illegal state change for green/.test(err.message));
      });
    }
  }

  test('only a verified color can become live', () => {
    const intoLive = COLOR_STATES.filter((s) => s !== 'live' && canMoveColor(s, 'live'));
    assert.deepEqual(intoLive, ['verified']);
  });
});

describe('operation phases', () => {
  for (const from of ['start', ...PHASES] as const) {
    for (const to of STEPS) {
      const legal = PHASE_TRANSITIONS[from].includes(to);
      test(`${from} -> ${to} is ${legal ? 'legal' : 'refused'}`, () => {
        assert.equal(canMovePhase(from, to), legal);
        if (legal) assertPhaseMove(from, to);
        else assert.throws(() => assertPhaseMove(from, to), CutoverError);
      });
    }
  }

  test('once traffic may have moved, an operation cannot end without rollback or retire', () => {
    assert.equal(canMovePhase('switch', 'done'), false);
    assert.equal(canMovePhase('monitor', 'done'), false);
    assert.equal(canMovePhase('monitor', 'rollback'), true);
  });

  test('switch is only reachable through the gate or the last progressive step', () => {
    const intoSwitch = (['start', ...PHASES] as const).filter((p) => canMovePhase(p, 'switch'));
    assert.deepEqual(intoSwitch, ['gate', 'shift']);
  });

  test('a progressive step is only reachable through the gate or the step before it', () => {
    const intoShift = (['start', ...PHASES] as const).filter((p) => canMovePhase(p, 'shift'));
    assert.deepEqual(intoShift, ['gate', 'shift']);
  });

  test('once a progressive step has moved traffic, the operation cannot end without rollback', () => {
    assert.equal(canMovePhase('shift', 'done'), false);
    assert.equal(canMovePhase('shift', 'retire'), false);
    assert.equal(canMovePhase('shift', 'rollback'), true);
  });
});
