import type { Measurement, MeasurementPhase } from '../../metrics/provider.ts';
import type { AnalysisTarget, MetricSpec } from './analysis-types.ts';
import { compareToBaseline, type BaselineComparison } from './baseline-comparison.ts';

/** Samples collected so far in baseline mode, newest last. */
export interface BaselineSamples {
  canary: number[];
  baseline: number[];
}

export interface Judgement {
  phase: MeasurementPhase;
  reason: string;
  warmup?: boolean;
  comparison?: BaselineComparison;
}

/**
 * Turns what the providers returned at one tick into a phase. Errors and empty readings are
 * never failures. In baseline mode it also updates `samples`: a provider that returns
 * `values` describes its whole window each time, so they replace the side's samples;
 * single values accumulate, one per tick.
 */
export function judgeReading(
  metric: MetricSpec,
  targets: { canary: AnalysisTarget; baseline?: AnalysisTarget },
  canary: Measurement,
  baseline: Measurement | undefined,
  samples: BaselineSamples,
): Judgement {
  const newName = `${targets.canary.color} (${targets.canary.version})`;
  const oldName = targets.baseline ? `${targets.baseline.color} (${targets.baseline.version})` : 'baseline';
  if (canary.phase === 'error') return { phase: 'error', reason: `${newName}: ${canary.message ?? 'could not be measured'}` };
  if (baseline?.phase === 'error') return { phase: 'error', reason: `${oldName}: ${baseline.message ?? 'could not be measured'}` };
  if (canary.phase !== 'successful' || canary.value === undefined) {
    return { phase: 'inconclusive', reason: `${newName}: ${canary.message ?? 'no value'}` };
  }
  if (metric.baseline && (!baseline || baseline.phase !== 'successful' || baseline.value === undefined)) {
    return { phase: 'inconclusive', reason: `${oldName}: ${baseline?.message ?? 'no value'}` };
  }

  const value = canary.value;
  const conditionHeld = metric.condition ? metric.condition.evaluate({ result: value }) : true;
  const conditionNote = metric.condition ? `result ${round(value)} ${conditionHeld ? 'meets' : 'breaks'} "${metric.condition.text}"` : '';

  if (!metric.baseline || !baseline) {
    return { phase: conditionHeld ? 'successful' : 'failed', reason: `${newName}: ${conditionNote}` };
  }

  const options = metric.baseline;
  replaceOrAppend(samples.canary, canary, options.maxSamples);
  replaceOrAppend(samples.baseline, baseline, options.maxSamples);
  const have = Math.min(samples.canary.length, samples.baseline.length);
  if (have < options.minSamples) {
    const collecting = `collecting samples for the baseline comparison (${have}/${options.minSamples})`;
    if (!conditionHeld) return { phase: 'failed', reason: `${newName}: ${conditionNote}` };
    if (metric.condition) return { phase: 'successful', reason: `${newName}: ${conditionNote}; ${collecting}` };
    return { phase: 'inconclusive', warmup: true, reason: collecting };
  }
  const comparison = compareToBaseline(samples.canary, samples.baseline, options, { canary: newName, baseline: oldName });
  const failed = !conditionHeld || comparison.worse;
  const reason = [conditionNote, comparison.reason].filter(Boolean).join('; ');
  return { phase: failed ? 'failed' : 'successful', reason: conditionNote ? `${newName}: ${reason}` : reason, comparison };
}

function replaceOrAppend(samples: number[], reading: Measurement, max: number): void {
  if (reading.values && reading.values.length > 0) samples.splice(0, samples.length, ...reading.values);
  else samples.push(reading.value!);
  if (samples.length > max) samples.splice(0, samples.length - max);
}

function round(n: number): string {
  return String(Number(n.toPrecision(4)));
}
