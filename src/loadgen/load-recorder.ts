/** One request the load generator made. Times are epoch milliseconds with sub-ms precision. */
export interface LoadRecord {
  /** When the request was due (open model); equals `start` in the closed model. */
  scheduled: number;
  /** When it was handed to the connection pool. */
  start: number;
  /** When the last byte of the response arrived, or the error happened. */
  end: number;
  /** HTTP status, or 0 when no response came back. */
  status: number;
  /** Error code (e.g. ECONNRESET, UND_ERR_SOCKET) when no complete response came back. */
  error: string | null;
  /** Value of the color header of the response, if any. */
  color: string | null;
  /** Value of the version header of the response, if any. */
  version: string | null;
  /** Label of the window (see `mark`) the request started in. */
  window: string;
}

/** The requests that started inside one window, summarized. */
export interface WindowSummary {
  label: string;
  /** Epoch ms at which the window opened. */
  startedAt: number;
  requests: number;
  /** Responses with a 2xx status. */
  ok: number;
  /** Responses with any other status. */
  non2xx: number;
  /** Requests that got no complete response (refused, reset, timed out). */
  socketErrors: number;
  /** Latency from send to last byte, in ms; null with no completed request. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Open model: p99 of the delay between a request's due time and its send. High values mean the generator itself fell behind. */
  sendLagP99Ms: number | null;
  byColor: Record<string, number>;
  byVersion: Record<string, number>;
  byStatus: Record<string, number>;
  byError: Record<string, number>;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

function round3(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1000) / 1000;
}

/** Interns repeated strings (colors, versions, error codes) as small integers. */
class StringTable {
  readonly values: string[] = [];
  readonly #index = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return -1;
    let id = this.#index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.#index.set(value, id);
    }
    return id;
  }

  value(id: number): string | null {
    return id < 0 ? null : this.values[id]!;
  }
}

/**
 * Keeps every request's outcome in columns of numbers (about 60 bytes a request), with
 * named windows. A request belongs to the window that was open when it was due.
 */
export class LoadRecorder {
  readonly #windows: { label: string; at: number }[] = [];
  readonly #scheduled: number[] = [];
  readonly #start: number[] = [];
  readonly #end: number[] = [];
  readonly #status: number[] = [];
  readonly #window: number[] = [];
  readonly #color: number[] = [];
  readonly #version: number[] = [];
  readonly #error: number[] = [];
  readonly #strings = new StringTable();

  constructor(firstWindow = 'start') {
    this.#windows.push({ label: firstWindow, at: performance.now() });
  }

  /** Opens a new window from now on. Labels may repeat; each mark is its own window. */
  mark(label: string): void {
    this.#windows.push({ label, at: performance.now() });
  }

  /** Index of the window open now, to pass to `add`. */
  get currentWindow(): number {
    return this.#windows.length - 1;
  }

  get size(): number {
    return this.#start.length;
  }

  /** Adds one finished request; times are `performance.now()` values. */
  add(window: number, scheduled: number, start: number, end: number, status: number, error: string | null, color: string | null, version: string | null): void {
    this.#window.push(window);
    this.#scheduled.push(scheduled);
    this.#start.push(start);
    this.#end.push(end);
    this.#status.push(status);
    this.#error.push(this.#strings.id(error));
    this.#color.push(this.#strings.id(color));
    this.#version.push(this.#strings.id(version));
  }

  records(): LoadRecord[] {
    const origin = performance.timeOrigin;
    const out: LoadRecord[] = [];
    for (let i = 0; i < this.#start.length; i++) {
      out.push({
        scheduled: origin + this.#scheduled[i]!,
        start: origin + this.#start[i]!,
        end: origin + this.#end[i]!,
        status: this.#status[i]!,
        error: this.#strings.value(this.#error[i]!),
        color: this.#strings.value(this.#color[i]!),
        version: this.#strings.value(this.#version[i]!),
        window: this.#windows[this.#window[i]!]!.label,
      });
    }
    return out;
  }

  /** One summary per window (in mark order) plus the total over all of them. */
  summarize(): { windows: WindowSummary[]; total: WindowSummary } {
    const all = this.#start.map((_, i) => i);
    const groups: number[][] = this.#windows.map(() => []);
    for (const i of all) groups[this.#window[i]!]!.push(i);
    return {
      windows: this.#windows.map((w, k) => this.#summary(w.label, w.at, groups[k]!)),
      total: this.#summary('total', this.#windows[0]!.at, all),
    };
  }

  #summary(label: string, at: number, rows: number[]): WindowSummary {
    const latencies: number[] = [];
    const lags: number[] = [];
    const byColor: Record<string, number> = {};
    const byVersion: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    const byError: Record<string, number> = {};
    let ok = 0;
    let non2xx = 0;
    let socketErrors = 0;
    for (const i of rows) {
      const status = this.#status[i]!;
      const error = this.#strings.value(this.#error[i]!);
      lags.push(this.#start[i]! - this.#scheduled[i]!);
      if (error !== null || status === 0) {
        socketErrors++;
        const key = error ?? 'unknown';
        byError[key] = (byError[key] ?? 0) + 1;
        continue;
      }
      latencies.push(this.#end[i]! - this.#start[i]!);
      if (status >= 200 && status < 300) ok++;
      else non2xx++;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      const color = this.#strings.value(this.#color[i]!) ?? 'unknown';
      byColor[color] = (byColor[color] ?? 0) + 1;
      const version = this.#strings.value(this.#version[i]!) ?? 'unknown';
      byVersion[version] = (byVersion[version] ?? 0) + 1;
    }
    const sorted = Float64Array.from(latencies).sort();
    const sortedLags = Float64Array.from(lags).sort();
    return {
      label,
      startedAt: Math.round((performance.timeOrigin + at) * 1000) / 1000,
      requests: rows.length,
      ok,
      non2xx,
      socketErrors,
      p50Ms: round3(percentile(sorted, 50)),
      p99Ms: round3(percentile(sorted, 99)),
      maxMs: round3(sorted.length ? sorted[sorted.length - 1]! : null),
      sendLagP99Ms: round3(percentile(sortedLags, 99)),
      byColor,
      byVersion,
      byStatus,
      byError,
    };
  }
}
