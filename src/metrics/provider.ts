import type { Color } from '../core/types.ts';

/**
 * How a measurement turned out.
 * - `successful`: a value was measured (for a provider) or it met its condition (after analysis).
 * - `failed`: the value broke its condition or lost the baseline comparison. Only the
 *   analysis decides this; providers never return it.
 * - `inconclusive`: the source answered but had nothing to say (no traffic, empty result, NaN).
 * - `error`: the source could not be asked (refused, timed out, garbage). Never counts as "bad".
 */
export type MeasurementPhase = 'successful' | 'failed' | 'inconclusive' | 'error';

/** One reading of one metric for one color. Times are epoch milliseconds. */
export interface Measurement {
  phase: MeasurementPhase;
  /** The headline number; set whenever phase is `successful`. */
  value?: number;
  /** Several samples from one reading (e.g. the points of a range query), oldest first. */
  values?: number[];
  startedAt: number;
  finishedAt: number;
  /** Why the phase is not `successful`, or a short note on what was measured. */
  message?: string;
}

/** What a measurement is about. Providers substitute these into their templates. */
export interface MeasureContext {
  app: string;
  color: Color;
  version: string;
  /** Where this color can be reached for checks: its preview address before promotion. */
  targetUrl?: string;
  /** How far back the reading should look, in milliseconds (e.g. for rates). */
  windowMs: number;
}

/**
 * A source of metric values: the router's own counters, Prometheus, a JSON endpoint or a
 * command. A provider only measures; whether a value is good is decided by the shared
 * analysis in `src/core/analysis/`, so the same threshold and baseline logic serves all.
 */
export interface MetricProvider<Query> {
  readonly kind: string;
  /**
   * Takes one reading. Read-only towards the source, so it is safe to repeat.
   * Never throws and never rejects: a source that is unreachable, slow or returns garbage
   * yields phase `error` with a message; a source with no data yields `inconclusive`.
   * Returns phase `successful` with `value` otherwise, never `failed`.
   * An aborted `signal` ends the reading promptly with phase `error`.
   */
  measure(query: Query, ctx: MeasureContext, signal?: AbortSignal): Promise<Measurement>;
}
