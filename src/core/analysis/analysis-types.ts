import type { Measurement, MeasurementPhase, MetricProvider } from '../../metrics/provider.ts';
import type { Clock } from '../deps.ts';
import type { Color } from '../types.ts';
import type { BaselineComparison, BaselineOptions } from './baseline-comparison.ts';
import type { Condition } from './condition.ts';

export type Verdict = MeasurementPhase;

/** One metric to watch, resolved from config: milliseconds, a compiled condition, no defaults left open. */
export interface MetricSpec {
  readonly name: string;
  /** The provider's query; `kind` picks the provider. */
  readonly provider: { readonly kind: string };
  readonly intervalMs: number;
  /** Take exactly this many readings... */
  readonly count?: number;
  /** ...or read every interval until this much time has passed (one reading when neither is set). */
  readonly durationMs?: number;
  readonly initialDelayMs: number;
  /** How far back each reading looks. */
  readonly windowMs: number;
  /** Fixed threshold on the new color's value (`result`). */
  readonly condition?: Condition;
  /** Compare the new color with the old one over the same window. */
  readonly baseline?: BaselineOptions;
  /** The metric fails once more than this many readings failed. */
  readonly failureLimit: number;
  /** The metric is inconclusive once more than this many readings were inconclusive. */
  readonly inconclusiveLimit: number;
  /** The metric errors once more than this many readings in a row could not be taken. */
  readonly consecutiveErrorLimit: number;
  /** A failure of this metric is critical (the rollback policy acts on it at any traffic share). */
  readonly critical: boolean;
  /** A reading that takes longer is recorded as an error. */
  readonly readingTimeoutMs: number;
}

/** A color under analysis. */
export interface AnalysisTarget {
  readonly color: Color;
  readonly version: string;
  readonly targetUrl?: string;
}

export interface AnalysisSpec {
  /** e.g. `pre-promotion`, `post-promotion`, `step 10%`. */
  readonly name: string;
  readonly app: string;
  /** The new release. */
  readonly canary: AnalysisTarget;
  /** The release it replaces; needed by metrics with `baseline`. */
  readonly baseline?: AnalysisTarget;
  readonly metrics: readonly MetricSpec[];
}

export interface AnalysisDeps {
  /** One provider per kind named in the metrics' queries. */
  readonly providers: Readonly<Record<string, MetricProvider<never>>>;
  readonly clock: Clock;
  /** Called after every judged reading, e.g. to print progress. Must not throw. */
  readonly onMeasurement?: (measurement: AnalysisMeasurement) => void;
  /** Called once per metric when its verdict is settled. Must not throw. */
  readonly onVerdict?: (verdict: MetricVerdict) => void;
}

/** One judged reading of one metric. */
export interface AnalysisMeasurement {
  readonly metric: string;
  /** 0-based reading number within the metric. */
  readonly index: number;
  /** The judgement: the condition and baseline applied to what the provider returned. */
  readonly phase: MeasurementPhase;
  /** The new color's value, when measured. */
  readonly value?: number;
  /** The old color's value at the same tick, in baseline mode. */
  readonly baselineValue?: number;
  /** True while baseline mode is still collecting its first samples: recorded, not counted. */
  readonly warmup?: boolean;
  readonly reason: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** What the provider returned for the new color. */
  readonly canary: Measurement;
  /** What the provider returned for the old color, in baseline mode. */
  readonly baseline?: Measurement;
  readonly comparison?: BaselineComparison;
}

export interface PhaseCounts {
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
}

/** The settled outcome of one metric. */
export interface MetricVerdict {
  readonly metric: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly critical: boolean;
  readonly counts: PhaseCounts;
  /** True when the metric stopped before its count or duration (a limit, another metric's failure, an abort). */
  readonly stoppedEarly: boolean;
  readonly finishedAt: number;
}

export interface AnalysisResult {
  readonly name: string;
  /** The worst metric verdict: failed, then error, then inconclusive, then successful. */
  readonly verdict: Verdict;
  readonly reason: string;
  /** A metric marked critical failed. */
  readonly criticalFailure: boolean;
  readonly metrics: readonly MetricVerdict[];
  /** Every reading of every metric, in the order they finished. */
  readonly measurements: readonly AnalysisMeasurement[];
  readonly startedAt: number;
  readonly finishedAt: number;
  /** The caller's signal stopped the analysis. */
  readonly aborted: boolean;
}
