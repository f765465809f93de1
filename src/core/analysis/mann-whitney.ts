/**
 * `greater`: is x stochastically larger than y? `less`: smaller? `two-sided`: either.
 */
export type Alternative = 'greater' | 'less' | 'two-sided';

export interface MannWhitneyResult {
  /** U for x: pairs where x beats y, ties counting one half. */
  u: number;
  /** P(x > y) + P(x = y) / 2 = U / (n·m), from 0 to 1; 0.5 means no difference. */
  superiority: number;
  pValue: number;
  /** `exact` enumerates U's distribution (small samples without ties); `normal` approximates with tie and continuity corrections. */
  method: 'exact' | 'normal';
  nX: number;
  nY: number;
}

/** Exact p-values are enumerated up to this many pairs; beyond it the normal approximation is close. */
const EXACT_MAX_PAIRS = 400;

// Written here rather than pulled in: the npm statistics packages either lack this test or
// skip the tie correction, and router metrics (error rates of 0, bucketed latencies) tie a lot.

/**
 * The Mann-Whitney U (Wilcoxon rank-sum) test of samples x and y. Pure.
 * Returns p = 1 when either sample is empty or every value ties (nothing to tell apart).
 */
export function mannWhitney(x: readonly number[], y: readonly number[], alternative: Alternative): MannWhitneyResult {
  const nX = x.length;
  const nY = y.length;
  if (nX === 0 || nY === 0) return { u: 0, superiority: 0.5, pValue: 1, method: 'normal', nX, nY };

  const pooled = [...x.map((value) => ({ value, fromX: true })), ...y.map((value) => ({ value, fromX: false }))].sort((a, b) => a.value - b.value);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1].value === pooled[i].value) j++;
    const averageRank = (i + j + 2) / 2;
    const tied = j - i + 1;
    tieTerm += tied ** 3 - tied;
    for (let k = i; k <= j; k++) if (pooled[k].fromX) rankSumX += averageRank;
    i = j + 1;
  }
  const u = rankSumX - (nX * (nX + 1)) / 2;
  const superiority = u / (nX * nY);

  if (tieTerm === 0 && nX * nY <= EXACT_MAX_PAIRS) {
    return { u, superiority, pValue: exactPValue(u, nX, nY, alternative), method: 'exact', nX, nY };
  }
  const n = nX + nY;
  const mean = (nX * nY) / 2;
  const variance = ((nX * nY) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, superiority, pValue: 1, method: 'normal', nX, nY };
  const sd = Math.sqrt(variance);
  const upper = normalUpperTail((u - mean - 0.5) / sd); // P(U >= u)
  const lower = normalUpperTail((mean - u - 0.5) / sd); // P(U <= u)
  const pValue = alternative === 'greater' ? upper : alternative === 'less' ? lower : Math.min(1, 2 * Math.min(upper, lower));
  return { u, superiority, pValue: Math.min(1, pValue), method: 'normal', nX, nY };
}

/** P-value from U's exact null distribution, counted with the standard recurrence. */
function exactPValue(u: number, nX: number, nY: number, alternative: Alternative): number {
  const counts = uDistribution(nX, nY);
  const total = counts.reduce((a, b) => a + b, 0);
  const atMost = (k: number) => counts.slice(0, Math.floor(k) + 1).reduce((a, b) => a + b, 0) / total;
  const atLeast = (k: number) => counts.slice(Math.ceil(k)).reduce((a, b) => a + b, 0) / total;
  if (alternative === 'greater') return atLeast(u);
  if (alternative === 'less') return atMost(u);
  return Math.min(1, 2 * Math.min(atLeast(u), atMost(u)));
}

/**
 * counts[k] = number of orderings of nX x-values and nY y-values whose U equals k.
 * f(a, b) = f(a - 1, b) shifted by b + f(a, b - 1): the largest value is either an x
 * (beating all b y-values) or a y.
 */
function uDistribution(nX: number, nY: number): number[] {
  let previousRow: number[][] = Array.from({ length: nY + 1 }, () => [1]);
  for (let a = 1; a <= nX; a++) {
    const row: number[][] = [[1]];
    for (let b = 1; b <= nY; b++) {
      const withXLargest = previousRow[b];
      const withYLargest = row[b - 1];
      const size = a * b + 1;
      const next = new Array<number>(size).fill(0);
      for (let k = 0; k < withXLargest.length; k++) next[k + b] += withXLargest[k];
      for (let k = 0; k < withYLargest.length; k++) next[k] += withYLargest[k];
      row.push(next);
    }
    previousRow = row;
  }
  return previousRow[nY];
}

/** P(Z >= z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function, Chebyshev fit from Numerical Recipes (relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
