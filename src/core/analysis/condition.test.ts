import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CutoverError } from '../errors.ts';
import { compileCondition } from './condition.ts';

const holds = (text: string, result: number) => compileCondition(text).evaluate({ result });

describe('compileCondition', () => {
  test('comparisons, logic and arithmetic work as written in cutover.yaml', () => {
    assert.equal(holds('result < 0.01', 0.005), true);
    assert.equal(holds('result < 0.01', 0.01), false);
    assert.equal(holds('result >= 0.95 && result <= 1', 0.97), true);
    assert.equal(holds('result >= 0.95 and result <= 1', 1.2), false);
    assert.equal(holds('result < 1 || result > 10', 11), true);
    assert.equal(holds('not (result > 2)', 3), false);
    assert.equal(holds('!(result == 0)', 0), false);
    assert.equal(holds('result * 100 <= 1.5', 0.015), true);
    assert.equal(holds('abs(result - 1) < 0.1', 0.95), true);
    assert.equal(holds('max(result, 2) > 2', 1), false);
    assert.equal(holds('-result < -1', 2), true);
    assert.equal(holds('result < 1e-3', 0.0005), true);
    assert.equal(holds('1 + 2 * 3 == 7', 0), true, 'precedence: * before +');
  });

  test('a NaN result never satisfies a comparison', () => {
    assert.equal(holds('result < 0.01', NaN), false);
  });

  test('anything that is not the expression language is refused with the column, never run', () => {
    const cases: Array<[string, RegExp]> = [
      ['result < 0.01; process.exit(1)', /unexpected ";" at column 14/],
      ['constructor.constructor("x")()', /unexpected "\." at column 12/],
      ['toString(1) < 2', /unknown name "toString"/],
      ['result', /must be true or false/],
      ['result < ', /unexpected end/],
      ['foo > 1', /unknown name "foo" \(known: result\)/],
      ['result < 1 < 2', /chained comparisons/],
      ['(result < 1', /expected "\)"/],
      ['result && true', /expected a true\/false value, found a number at column 1/],
      ['`result`', /unexpected "`"/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => compileCondition(text), (err: unknown) => err instanceof CutoverError && err.code === 'config' && message.test(err.message), text);
    }
  });

  test('extra variables can be allowed', () => {
    assert.equal(compileCondition('result < baseline * 1.5', ['result', 'baseline']).evaluate({ result: 1, baseline: 1 }), true);
  });
});
