import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideOnFailure, type FailureAction } from './rollback-policy.ts';

describe('the runbook decision tree', () => {
  const cases: Array<[percent: number, critical: boolean, expected: FailureAction]> = [
    [0, true, 'drop'],
    [5, false, 'drop'],
    [9.9, true, 'drop'],
    [10, false, 'rollback'],
    [25, true, 'rollback'],
    [50, false, 'rollback'],
    [50.1, false, 'hold'],
    [51, true, 'rollback'],
    [75, false, 'hold'],
    [100, false, 'hold'],
    [100, true, 'rollback'],
  ];
  for (const [percent, critical, expected] of cases) {
    test(`a ${critical ? 'critical' : 'non-critical'} failure at ${percent}% of traffic: ${expected}`, () => {
      const decision = decideOnFailure({ trafficPercent: percent, critical });
      assert.equal(decision.action, expected);
      assert.match(decision.reason, new RegExp(`^${String(percent).replace('.', '\\.')}% of traffic`));
    });
  }

  test('the reason says why a non-critical failure over 50% is held rather than rolled back', () => {
    assert.equal(decideOnFailure({ trafficPercent: 80, critical: false }).reason, '80% of traffic is over 50% and the failure is not critical: hold and alert');
  });
});
