import type { Color } from '../core/types.ts';

/** One point of a color's chart: the traffic of the interval that ended at `at`. */
export interface TrafficPoint {
  at: number;
  rps: number;
  /** Share of answers that were 5xx, 0..1; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** The default chart window: ten minutes of one-second points. */
export const CHART_POINTS = 600;
/** How far back the charts look. */
export const CHART_SPAN_MS = 10 * 60_000;

/** The bounded window of chart points per color that a page gets when it connects. */
export class TrafficSeries {
  private readonly points: Record<Color, TrafficPoint[]> = { blue: [], green: [] };
  private readonly capacity: number;

  constructor(capacity = CHART_POINTS) {
    this.capacity = capacity;
  }

  push(points: Record<Color, TrafficPoint>): void {
    for (const [color, point] of Object.entries(points) as Array<[Color, TrafficPoint]>) {
      const list = this.points[color];
      list.push(point);
      if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
    }
  }

  /**
   * Puts points from before the window's first one at its front (a history that arrived after
   * live sampling began): points at or after the oldest kept one are dropped, since the live
   * samples already cover that time. The window stays bounded, keeping the newest points.
   */
  backfill(history: ReadonlyArray<Record<Color, TrafficPoint>>): void {
    for (const color of Object.keys(this.points) as Color[]) {
      const list = this.points[color];
      const oldest = list[0]?.at ?? Infinity;
      const older = history.map((points) => points[color]).filter((p) => p !== undefined && p.at < oldest);
      list.unshift(...older);
      if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
    }
  }

  /** No point kept yet (both colors get one per sample, so blue's list stands for both). */
  get empty(): boolean {
    return this.points.blue.length === 0;
  }

  /** Every kept point, oldest first. */
  snapshot(): Record<Color, TrafficPoint[]> {
    return { blue: [...this.points.blue], green: [...this.points.green] };
  }
}
