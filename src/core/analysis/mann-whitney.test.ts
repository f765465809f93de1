import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mannWhitney, normalUpperTail } from './mann-whitney.ts';

/** The p-value by brute force: every way of splitting the pooled values into groups of the same sizes. */
function permutationPValue(x: number[], y: number[], alternative: 'greater' | 'less' | 'two-sided'): number {
  const pooled = [...x, ...y];
  const observed = mannWhitney(x, y, alternative).u;
  const mean = (x.length * y.length) / 2;
  let extreme = 0;
  let total = 0;
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === x.length) {
      const xs = chosen.map((i) => pooled[i]);
      const ys = pooled.filter((_, i) => !chosen.includes(i));
      const u = mannWhitney(xs, ys, 'greater').u;
      total++;
      const hit =
        alternative === 'greater' ? u >= observed - 1e-9 : alternative === 'less' ? u <= observed + 1e-9 : Math.abs(u - mean) >= Math.abs(observed - mean) - 1e-9;
      if (hit) extreme++;
      return;
    }
    for (let i = start; i < pooled.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return extreme / total;
}

describe('mannWhitney', () => {
  test('exact p-values match a brute-force permutation count', () => {
    const cases: Array<[number[], number[]]> = [
      [[1, 4, 2, 9, 7], [3, 5, 6, 8, 10, 11]],
      [[0.31, 0.29, 0.35, 0.4], [0.1, 0.12, 0.09, 0.11, 0.13]],
      [[5, 1, 9], [2, 8, 3, 7]],
    ];
    for (const [x, y] of cases) {
      for (const alternative of ['greater', 'less', 'two-sided'] as const) {
        const result = mannWhitney(x, y, alternative);
        assert.equal(result.method, 'exact');
        assert.ok(Math.abs(result.pValue - permutationPValue(x, y, alternative)) < 1e-9, `${alternative} ${x} vs ${y}`);
      }
    }
  });

  test('with ties, the tie-corrected normal approximation lands near the permutation p-value', () => {
    const x = [1, 2, 2, 3, 3, 3, 4];
    const y = [2, 3, 4, 4, 5, 5, 6];
    const result = mannWhitney(x, y, 'less');
    assert.equal(result.method, 'normal');
    assert.equal(result.u, 8.5);
    const exact = permutationPValue(x, y, 'less');
    assert.ok(Math.abs(result.pValue - exact) < 0.01, `normal ${result.pValue} vs permutation ${exact}`);
  });

  test('complete separation of 5 vs 5 gives the smallest one-sided p: 1/252', () => {
    const result = mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 'greater');
    assert.equal(result.u, 25);
    assert.equal(result.superiority, 1);
    assert.ok(Math.abs(result.pValue - 1 / 252) < 1e-12);
    assert.ok(mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 'less').pValue > 0.99);
  });

  test('identical samples (all ties) and empty samples carry no evidence: p = 1', () => {
    assert.equal(mannWhitney([0, 0, 0, 0], [0, 0, 0, 0], 'greater').pValue, 1);
    assert.equal(mannWhitney([], [1, 2], 'two-sided').pValue, 1);
  });

  test('large samples use the normal approximation and detect a small consistent shift', () => {
    const x = Array.from({ length: 200 }, (_, i) => (i % 50) + 6);
    const y = Array.from({ length: 200 }, (_, i) => i % 50);
    const result = mannWhitney(x, y, 'greater');
    assert.equal(result.method, 'normal');
    assert.ok(result.pValue < 0.01);
    assert.ok(mannWhitney(y, y.slice().reverse(), 'two-sided').pValue > 0.9);
  });

  test('the normal tail is accurate to the textbook values', () => {
    assert.ok(Math.abs(normalUpperTail(1.959964) - 0.025) < 1e-6);
    assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-7);
    assert.ok(Math.abs(normalUpperTail(-1.644854) - 0.95) < 1e-6);
  });
});
