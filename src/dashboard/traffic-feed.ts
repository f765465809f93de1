import type { Color } from '../core/types.ts';
import type { TrafficPoint } from './traffic-series.ts';

/** Where an app's charts come from, as the page explains it. */
export type TrafficSourceInfo =
  | { kind: 'router' }
  | { kind: 'prometheus'; address: string }
  /** No source: `hint` says what to configure to get charts. */
  | { kind: 'none'; hint: string };

/** One sampling: the new point per color (none yet, e.g. on the first router scrape), and what went wrong, if anything. */
export interface TrafficSample {
  points: Record<Color, TrafficPoint> | null;
  /** Why the source could not be read (fully or for some series), in one line; null when it answered. */
  problem: string | null;
}

/** A source of per-color chart points, sampled by the dashboard server on its own beat. */
export interface TrafficFeed {
  readonly source: TrafficSourceInfo;
  /** How often to sample it. */
  readonly intervalMs: number;
  /** Never rejects: a source that cannot be read reports it as `problem`. */
  sample(at: number): Promise<TrafficSample>;
  /**
   * Points the source already kept from before the dashboard started, oldest first (a metrics
   * store has them; the router does not). Never rejects: null when they could not be read, so
   * the caller can ask again, and an empty list when there are none.
   */
  history?(end: number, spanMs: number, maxPoints: number): Promise<Array<Record<Color, TrafficPoint>> | null>;
}

/** An app without a traffic source: the page shows `source.hint` where the charts would be. */
export interface NoTrafficFeed {
  readonly source: Extract<TrafficSourceInfo, { kind: 'none' }>;
}

export const isTrafficFeed = (feed: TrafficFeed | NoTrafficFeed): feed is TrafficFeed => feed.source.kind !== 'none';
