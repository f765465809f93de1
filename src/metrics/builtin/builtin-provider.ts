import { formatDuration, parseDurationOr } from '../../config/duration.ts';
import { systemClock, type Clock } from '../../core/deps.ts';
import { httpGet } from '../http-get.ts';
import { describeError, errorMeasurement, inconclusiveMeasurement, valueMeasurement } from '../measurement.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../provider.ts';
import type { BuiltinQuery } from './builtin-query.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import { routerCountersFromText } from './router-exposition.ts';
import { colorTraffic, histogramQuantile, totalRequests, trafficBetween } from './router-traffic.ts';

/**
 * Where the router's counters come from: a router's /metrics URL (Prometheus text), or a
 * function handing over the counters of the router cutover runs (the daemon's, as JSON).
 */
export type RouterMetricsSource = string | (() => Promise<RouterCounters>);

interface Scrape {
  at: number;
  counters: RouterCounters;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** A base scrape this much younger than the window still counts as covering it (timer jitter). */
const WINDOW_SLACK = 0.9;
/** Without any earlier scrape, the first reading waits at most this long to get a second one. */
const FIRST_READING_MAX_WAIT_MS = 1_000;
/** An earlier scrape at least this old is used when none covers the whole window yet. */
const MIN_PARTIAL_WINDOW_MS = 250;
const MAX_KEPT_SCRAPES = 2_000;

/**
 * Reads the router's own per-color counters. The router's counters only grow, so a
 * reading over a window is the difference between the current scrape and one taken about a
 * window earlier; the provider keeps recent scrapes for that, and shares one scrape between
 * readings that ask at the same moment (blue and green at the same analysis tick).
 */
export class BuiltinProvider implements MetricProvider<BuiltinQuery> {
  readonly kind = 'builtin';
  private readonly scrapes = new Map<string, Scrape[]>();
  private readonly pending = new Map<string, Promise<Scrape>>();

  /** `clock` times the scrapes and the wait for a first reading's second scrape. */
  constructor(private readonly source?: RouterMetricsSource, private readonly clock: Clock = systemClock) {}

  async measure(query: BuiltinQuery, ctx: MeasureContext, signal?: AbortSignal): Promise<Measurement> {
    const startedAt = this.clock.now();
    try {
      const source = query.url ?? this.source;
      if (source === undefined) return errorMeasurement(startedAt, 'builtin metrics need the local router (no metrics URL was given)');
      const timeoutMs = parseDurationOr(query.timeout, DEFAULT_TIMEOUT_MS);
      const key = typeof source === 'string' ? source : 'router';
      let current = await this.scrape(key, source, timeoutMs, signal);
      const traffic = colorTraffic(current.counters, ctx.color, query.listener);
      if (query.metric === 'in-flight') {
        return valueMeasurement(startedAt, traffic.inFlight, { message: `${traffic.inFlight} requests in flight to ${ctx.color}` });
      }
      let base = this.baseFor(key, current, ctx.windowMs);
      if (!base) {
        await this.clock.sleep(Math.min(ctx.windowMs, FIRST_READING_MAX_WAIT_MS), signal);
        if (signal?.aborted) return errorMeasurement(startedAt, 'reading was aborted');
        base = current;
        current = await this.scrape(key, source, timeoutMs, signal);
      }
      const spanMs = current.at - base.at;
      const delta = trafficBetween(colorTraffic(base.counters, ctx.color, query.listener), colorTraffic(current.counters, ctx.color, query.listener));
      const total = totalRequests(delta);
      const over = `in the last ${formatDuration(spanMs)}`;

      if (query.metric === 'request-rate') {
        return valueMeasurement(startedAt, total / (spanMs / 1_000), { message: `${total} requests to ${ctx.color} ${over}` });
      }
      if (total === 0) return inconclusiveMeasurement(startedAt, `no requests to ${ctx.color} ${over}`);
      if (query.metric === 'error-rate') {
        const errors = delta.requests['5xx'] + (query.include4xx ? delta.requests['4xx'] : 0);
        const what = query.include4xx ? '4xx/5xx' : '5xx';
        return valueMeasurement(startedAt, errors / total, { message: `${errors}/${total} requests to ${ctx.color} answered ${what} ${over}` });
      }
      const q = query.quantile ?? 0.99;
      const seconds = histogramQuantile(q, delta.buckets);
      if (seconds === undefined) return inconclusiveMeasurement(startedAt, `no latency histogram for ${ctx.color} ${over}`);
      return valueMeasurement(startedAt, seconds, { message: `p${Math.round(q * 1000) / 10} of ${total} requests to ${ctx.color} ${over}` });
    } catch (err) {
      if (signal?.aborted) return errorMeasurement(startedAt, 'reading was aborted');
      return errorMeasurement(startedAt, describeError(err));
    }
  }

  /** The newest earlier scrape that covers the window, else a partial one, else none. */
  private baseFor(key: string, current: Scrape, windowMs: number): Scrape | undefined {
    const earlier = (this.scrapes.get(key) ?? []).filter((s) => s.at < current.at);
    const covering = earlier.filter((s) => current.at - s.at >= windowMs * WINDOW_SLACK);
    if (covering.length > 0) return covering.at(-1);
    const oldest = earlier[0];
    return oldest && current.at - oldest.at >= MIN_PARTIAL_WINDOW_MS ? oldest : undefined;
  }

  private scrape(key: string, source: RouterMetricsSource, timeoutMs: number, signal?: AbortSignal): Promise<Scrape> {
    let running = this.pending.get(key);
    if (!running) {
      running = this.fetchScrape(source, timeoutMs, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, running);
      running.then((scrape) => this.keep(key, scrape), () => {});
    }
    return running;
  }

  private async fetchScrape(source: RouterMetricsSource, timeoutMs: number, signal?: AbortSignal): Promise<Scrape> {
    if (typeof source !== 'string') return { at: this.clock.now(), counters: await withTimeout(source(), timeoutMs, signal) };
    const response = await httpGet(source, { timeoutMs, signal });
    if (response.status !== 200) throw new Error(`GET ${source} answered ${response.status}`);
    return { at: this.clock.now(), counters: routerCountersFromText(response.text, source) };
  }

  private keep(key: string, scrape: Scrape): void {
    const list = this.scrapes.get(key) ?? [];
    list.push(scrape);
    // Readings only ever look back about one window; an hour covers any sane window.
    const horizon = scrape.at - 3_600_000;
    while (list.length > MAX_KEPT_SCRAPES || (list.length > 0 && list[0].at < horizon)) list.shift();
    this.scrapes.set(key, list);
  }
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router metrics did not answer within ${formatDuration(timeoutMs)}`)), timeoutMs);
    const onAbort = () => reject(new Error('reading was aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
