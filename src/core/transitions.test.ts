import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from './errors.ts';
import { COLOR_TRANSITIONS, PHASE_TRANSITIONS, assertColorMove, assertPhaseMove, canMoveColor, canMovePhase } from './transitions.ts';
import type { ColorState, PhaseName } from './types.ts';

const COLOR_STATES = Object.keys(COLOR_TRANSITIONS) as ColorState[];
const PHASES = Object.keys(PHASE_TRANSITIONS).filter((p) => p !== 'start') as PhaseName[];

describe('color lifecycle', () => {
  test('an illegal color move is refused with the color named', () => {
    assert.throws(() => assertColorMove('green', 'failed', 'live'), (err: unknown) => err instanceof CutoverError && /illegal state change for green/.test(err.message));
    assertColorMove('green', 'verified', 'live');
  });

  test('only a verified color can become live', () => {
    const intoLive = COLOR_STATES.filter((s) => s !== 'live' && canMoveColor(s, 'live'));
    assert.deepEqual(intoLive, ['verified']);
  });
});

describe('operation phases', () => {
  test('an illegal phase move is refused', () => {
    assert.throws(() => assertPhaseMove('provision', 'switch'), CutoverError);
    assertPhaseMove('gate', 'switch');
  });

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
