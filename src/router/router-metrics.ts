import { Counter, Gauge, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.ts';
import { COLORS, type Color } from '../core/types.ts';
import type { ListenerCounters, RouterCounters } from './router-counters.ts';

export type ListenerName = 'main' | 'preview';
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';
/** `none` labels answers the router made without a color to blame (maintenance, no live color). */
export type MetricColor = Color | 'none';

export const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx'];
const METRIC_COLORS: readonly MetricColor[] = ['blue', 'green', 'none'];
const LISTENERS: readonly ListenerName[] = ['main', 'preview'];

/** Fine enough for p50/p95/p99 anywhere between 1 ms and 10 s (steps of at most 1.5x). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
  0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10,
];

function classIndex(status: number): number {
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

const LATENCY_NAME = 'cutover_router_request_duration_seconds';
const LATENCY_HELP = 'Time from receiving a request to sending the last byte of its response, per color and listener.';

/**
 * Plain counters for one (color, listener) pair. The hot path touches only these numbers
 * and its latency histogram; prom-client's counters and gauges are brought up to date when
 * scraped, because prom-client hashes the label set on every `inc()`.
 */
export class TrafficCounters {
  inFlight = 0;
  /**
   * Answers the router made because the upstream failed: 502 for a refused or reset connection
   * (after any retry), 504 for no response headers in time. Also counted in `byClass` as 5xx.
   */
  upstreamErrors = 0;
  reportedUpstreamErrors = 0;
  /** Completed requests by status class, indexed like STATUS_CLASSES. */
  readonly byClass: number[] = [0, 0, 0, 0];
  /** What the prom-client counter has already been told, per class. */
  readonly reported: number[] = [0, 0, 0, 0];
  readonly color: MetricColor;
  readonly listener: ListenerName;
  readonly latency = new LatencyHistogram(LATENCY_BUCKETS_SECONDS);

  constructor(color: MetricColor, listener: ListenerName) {
    this.color = color;
    this.listener = listener;
  }

  /** Records one finished request: its status as the client saw it and its duration. */
  record(status: number, seconds: number): void {
    this.byClass[classIndex(status)]!++;
    this.latency.observe(seconds);
  }

  get requests(): number {
    return this.byClass[0]! + this.byClass[1]! + this.byClass[2]! + this.byClass[3]!;
  }
}

/**
 * The router's Prometheus metrics, in a registry of their own so that several routers (or
 * tests) in one process never mix their numbers.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly #slots = new Map<string, TrafficCounters>();
  /**
   * The same counters by listener, then color, for `counters()` on every request: a key string
   * built per call (`blue/main`) is a fresh string whose hash the Map computes each time.
   */
  readonly #byListener = { main: {}, preview: {} } as Record<ListenerName, Record<MetricColor, TrafficCounters>>;
  readonly #oldestInFlightSeconds: (color: Color) => number;

  /**
   * @param oldestInFlightSeconds age of the oldest request the main listener is proxying to a
   *   color right now (0 when none), for the bake window's stuck-request signal.
   */
  constructor(liveColor: () => Color | null, oldestInFlightSeconds: (color: Color) => number = () => 0) {
    this.#oldestInFlightSeconds = oldestInFlightSeconds;
    const slots = this.#slots;
    for (const color of METRIC_COLORS) {
      for (const listener of LISTENERS) {
        const slot = new TrafficCounters(color, listener);
        slots.set(`${color}/${listener}`, slot);
        this.#byListener[listener][color] = slot;
      }
    }

    const requests = new Counter({
      name: 'cutover_router_requests_total',
      help: 'Requests answered, per color, listener and status class (502/503/504 made by the router count as 5xx).',
      labelNames: ['color', 'listener', 'class'],
      registers: [this.registry],
      collect() {
        for (const slot of slots.values()) {
          for (let i = 0; i < STATUS_CLASSES.length; i++) {
            const delta = slot.byClass[i]! - slot.reported[i]!;
            slot.reported[i] = slot.byClass[i]!;
            this.inc({ color: slot.color, listener: slot.listener, class: STATUS_CLASSES[i]! }, delta);
          }
        }
      },
    });
    void requests;

    new Gauge({
      name: 'cutover_router_requests_in_flight',
      help: 'Requests being proxied right now, per color and listener.',
      labelNames: ['color', 'listener'],
      registers: [this.registry],
      collect() {
        for (const slot of slots.values()) this.set({ color: slot.color, listener: slot.listener }, slot.inFlight);
      },
    });

    new Counter({
      name: 'cutover_router_upstream_errors_total',
      help: 'Answers the router made because an upstream failed (502 refused/reset after retries, 504 no headers in time), per color and listener.',
      labelNames: ['color', 'listener'],
      registers: [this.registry],
      collect() {
        for (const slot of slots.values()) {
          const delta = slot.upstreamErrors - slot.reportedUpstreamErrors;
          slot.reportedUpstreamErrors = slot.upstreamErrors;
          this.inc({ color: slot.color, listener: slot.listener }, delta);
        }
      },
    });

    new Gauge({
      name: 'cutover_router_oldest_in_flight_seconds',
      help: 'Age of the oldest request the main listener is proxying to each color (0 when none).',
      labelNames: ['color', 'listener'],
      registers: [this.registry],
      collect() {
        for (const color of ['blue', 'green'] as const) this.set({ color, listener: 'main' }, oldestInFlightSeconds(color));
      },
    });

    new Gauge({
      name: 'cutover_router_live_color_info',
      help: '1 for the color the main listener serves, 0 for the other.',
      labelNames: ['color'],
      registers: [this.registry],
      collect() {
        const live = liveColor();
        this.set({ color: 'blue' }, live === 'blue' ? 1 : 0);
        this.set({ color: 'green' }, live === 'green' ? 1 : 0);
      },
    });
  }

  /** The counters for one (color, listener) pair; the same object every call. */
  counters(color: MetricColor, listener: ListenerName): TrafficCounters {
    return this.#byListener[listener][color];
  }

  /**
   * The same numbers as `text()`, for cutover's own readers: read straight from the counters,
   * and without touching prom-client's registry, so `/metrics` scrapes see their usual deltas.
   */
  snapshot(): RouterCounters {
    const colors = {} as RouterCounters['colors'];
    for (const color of COLORS) {
      colors[color] = {
        main: this.#listenerCounters(this.counters(color, 'main'), this.#oldestInFlightSeconds(color)),
        preview: this.#listenerCounters(this.counters(color, 'preview'), 0),
      };
    }
    return { latencyBoundsSeconds: [...LATENCY_BUCKETS_SECONDS], colors };
  }

  #listenerCounters(slot: TrafficCounters, oldestInFlightSeconds: number): ListenerCounters {
    const [c2xx, c3xx, c4xx, c5xx] = slot.byClass as [number, number, number, number];
    return {
      requests: { '2xx': c2xx, '3xx': c3xx, '4xx': c4xx, '5xx': c5xx },
      inFlight: slot.inFlight,
      upstreamErrors: slot.upstreamErrors,
      oldestInFlightSeconds,
      latency: slot.latency.cumulative(),
      latencySumSeconds: slot.latency.sum,
    };
  }

  /** Prometheus text exposition of every router metric. */
  async text(): Promise<string> {
    const lines = [`# HELP ${LATENCY_NAME} ${LATENCY_HELP}`, `# TYPE ${LATENCY_NAME} histogram`];
    // Like prom-client, a series appears once it has an observation.
    for (const slot of this.#slots.values()) {
      if (slot.latency.count > 0) lines.push(...slot.latency.lines(LATENCY_NAME, `color="${slot.color}",listener="${slot.listener}"`));
    }
    return `${lines.join('\n')}\n\n${await this.registry.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
