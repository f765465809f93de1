import type { Clock, TrafficSource } from '../deps.ts';
import type { Color } from '../types.ts';
import type { TrafficBaseline } from './traffic-signals.ts';
import { TrafficSeries } from './traffic-series.ts';

/** Only the old color's most recent behaviour is the baseline. */
const BASELINE_SPAN_MS = 60_000;

/**
 * Reads the live (old) color's traffic every interval from verify until the switch, so the bake
 * window can compare the new color with what the old one did just before. Reading errors skip
 * a reading; nothing here can fail a release.
 */
export class TrafficBaselineRecorder {
  private readonly series: TrafficSeries;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(source: TrafficSource, readonly color: Color, private readonly clock: Clock, private readonly intervalMs: number, minRequestsPerSample: number) {
    this.series = new TrafficSeries(source, color, minRequestsPerSample, intervalMs);
  }

  start(): this {
    if (this.loop) return this;
    const signal = this.stopper.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        await this.series.sample(this.clock.now()).catch(() => null);
        await this.clock.sleep(this.intervalMs, signal);
      }
    })();
    return this;
  }

  /** Takes a last reading and stops; returns the old color's traffic over its most recent span. */
  async stop(): Promise<TrafficBaseline> {
    this.stopper.abort();
    await this.loop;
    const now = this.clock.now();
    await this.series.sample(now).catch(() => null);
    return { color: this.color, totals: this.series.totals(now - BASELINE_SPAN_MS) };
  }
}
