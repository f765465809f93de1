import { mannWhitney, type Alternative } from './mann-whitney.ts';

/** Which way a metric moves when a release is worse: up for errors and latency, down for hit rates. */
export type WorseDirection = 'increase' | 'decrease' | 'either';

/** How the new color is judged against the old one. */
export interface BaselineOptions {
  direction: WorseDirection;
  /** Significance level of the Mann-Whitney test. */
  alpha: number;
  /** Samples each color needs before any judgement (earlier ticks only collect). */
  minSamples: number;
  /** Only the latest samples are compared, so a long bake compares recent behaviour. */
  maxSamples: number;
  /**
   * The smallest shift that counts, in the metric's units: max(absolute, relative × |old median|).
   * A statistically clear but tiny difference (1.00 ms vs 1.01 ms) is not a reason to roll back.
   */
  minEffect: { relative: number; absolute: number };
}

export interface BaselineComparison {
  worse: boolean;
  pValue: number;
  u: number;
  method: 'exact' | 'normal';
  canaryMedian: number;
  baselineMedian: number;
  /** Hodges-Lehmann estimate of how far the new color sits from the old: median of pairwise differences. */
  shift: number;
  /** The shift the effect floor required. */
  floor: number;
  canaryCount: number;
  baselineCount: number;
  reason: string;
}

const ALTERNATIVE: Record<WorseDirection, Alternative> = { increase: 'greater', decrease: 'less', either: 'two-sided' };

/**
 * Judges the new color's samples against the old color's over the same window, as
 * Kayenta does: a one-sided (or two-sided) Mann-Whitney U test plus an effect-size floor.
 * Pure. Call it only once both sides have `minSamples`.
 */
export function compareToBaseline(
  canary: readonly number[],
  baseline: readonly number[],
  options: BaselineOptions,
  names: { canary: string; baseline: string } = { canary: 'new', baseline: 'old' },
): BaselineComparison {
  const test = mannWhitney(canary, baseline, ALTERNATIVE[options.direction]);
  const canaryMedian = median(canary);
  const baselineMedian = median(baseline);
  const shift = hodgesLehmannShift(canary, baseline);
  const floor = Math.max(options.minEffect.absolute, options.minEffect.relative * Math.abs(baselineMedian));
  const movedTheBadWay =
    options.direction === 'increase' ? shift > 0 && shift >= floor : options.direction === 'decrease' ? shift < 0 && -shift >= floor : shift !== 0 && Math.abs(shift) >= floor;
  const significant = test.pValue < options.alpha;
  const worse = significant && movedTheBadWay;

  const facts = `median ${fmt(canaryMedian)} vs ${fmt(baselineMedian)}, shift ${shift >= 0 ? '+' : ''}${fmt(shift)} (floor ${fmt(floor)}), Mann-Whitney p=${fmt(test.pValue)} ${significant ? '<' : '≥'} ${options.alpha} (n=${canary.length}/${baseline.length})`;
  const verdict = worse
    ? `${names.canary} is worse than ${names.baseline}`
    : significant
      ? `${names.canary} differs from ${names.baseline} by less than the floor or in the harmless direction`
      : `${names.canary} is not distinguishable from ${names.baseline}`;
  return {
    worse,
    pValue: test.pValue,
    u: test.u,
    method: test.method,
    canaryMedian,
    baselineMedian,
    shift,
    floor,
    canaryCount: canary.length,
    baselineCount: baseline.length,
    reason: `${verdict}: ${facts}`,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function hodgesLehmannShift(canary: readonly number[], baseline: readonly number[]): number {
  const differences: number[] = [];
  for (const a of canary) for (const b of baseline) differences.push(a - b);
  return median(differences);
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  return abs >= 1000 || abs < 0.001 ? n.toExponential(2) : String(Number(n.toPrecision(3)));
}
