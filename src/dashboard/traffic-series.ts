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

  /** Every kept point, oldest first. */
  snapshot(): Record<Color, TrafficPoint[]> {
    return { blue: [...this.points.blue], green: [...this.points.green] };
  }
}
