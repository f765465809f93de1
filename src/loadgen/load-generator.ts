import { Pool, type Dispatcher } from 'undici';
import { CutoverError } from '../core/errors.ts';
import { LoadRecorder, type LoadRecord, type WindowSummary } from './load-recorder.ts';
import { loopbackTarget } from './loopback-target.ts';

/** What kinds of requests to mix in; every fraction is 0..1 and drawn per request. */
export interface LoadMix {
  /** Path of ordinary requests; default `/`. */
  path?: string;
  /** Share of requests sent to `slowPath` instead. */
  slowFraction?: number;
  /** Default `/slow?ms=1000`. */
  slowPath?: string;
  /** Share of requests sent with `Connection: close`, so the next one opens a new connection. */
  newConnectionFraction?: number;
  /** Share of requests that are POSTs with a body of `postBytes`. */
  postFraction?: number;
  /** Default 1 MiB. */
  postBytes?: number;
}

interface CommonLoadOptions extends LoadMix {
  /** Base URL on loopback, e.g. `http://127.0.0.1:8080`. Other hosts are refused. */
  url: string;
  /** Stop issuing requests after this long. Always required: load is never unbounded. */
  durationMs: number;
  /** Stop after this many requests; default 1 000 000. */
  maxRequests?: number;
  /** Response header naming the color that served; default `x-cutover-color`. */
  colorHeader?: string;
  /** Response header naming the version that served; default `x-cutover-version`. */
  versionHeader?: string;
  /** A request with no complete response after this long counts as an error; default 30 000. */
  requestTimeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** N connections, each sending its next request as soon as the previous one ends. */
export interface ClosedLoadOptions extends CommonLoadOptions {
  model: 'closed';
  connections: number;
}

/** A fixed request rate, scheduled by the clock whatever the responses do. */
export interface OpenLoadOptions extends CommonLoadOptions {
  model: 'open';
  ratePerSec: number;
  /** Most connections open at once; requests beyond wait in the pool (and that wait counts as latency). Default 256. */
  maxConnections?: number;
}

export type LoadOptions = ClosedLoadOptions | OpenLoadOptions;

export interface LoadReport {
  model: LoadOptions['model'];
  url: string;
  /** From `start()` to the last response. */
  durationMs: number;
  /** Completed requests per second over `durationMs`. */
  achievedRps: number;
  windows: WindowSummary[];
  total: WindowSummary;
}

const DEFAULT_MAX_REQUESTS = 1_000_000;

function fraction(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new CutoverError('usage', `load option ${name} must be between 0 and 1, got ${value}`);
  return v;
}

function positive(name: string, value: number | undefined, integer: boolean): number {
  if (value === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new CutoverError('usage', `load option ${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${value}`);
  }
  return value;
}

/** Receives one response for the generator; discards the body without buffering it. */
class ResponseProbe implements Dispatcher.DispatchHandler {
  status = 0;
  color: string | null = null;
  version: string | null = null;
  readonly #colorHeader: string;
  readonly #versionHeader: string;
  readonly #done: (probe: ResponseProbe, error: string | null) => void;

  constructor(colorHeader: string, versionHeader: string, done: (probe: ResponseProbe, error: string | null) => void) {
    this.#colorHeader = colorHeader;
    this.#versionHeader = versionHeader;
    this.#done = done;
  }

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    const colorLen = this.#colorHeader.length;
    const versionLen = this.#versionHeader.length;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const len = rawHeaders[i]!.length;
      if (len !== colorLen && len !== versionLen) continue;
      const name = rawHeaders[i]!.toString('latin1').toLowerCase();
      if (name === this.#colorHeader) this.color = rawHeaders[i + 1]!.toString('latin1');
      else if (name === this.#versionHeader) this.version = rawHeaders[i + 1]!.toString('latin1');
    }
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.#done(this, null);
  }

  onError(err: Error): void {
    this.#done(this, (err as { code?: string }).code ?? err.name ?? 'Error');
  }
}

interface RequestPlan {
  path: string;
  method: 'GET' | 'POST';
  reset: boolean;
}

/**
 * Generates HTTP load against a loopback target and records every response. Bounded by
 * `durationMs` and `maxRequests`; `stop()` ends it early. Create one per run.
 */
export class LoadGenerator {
  readonly options: Readonly<LoadOptions>;
  readonly #recorder = new LoadRecorder();
  readonly #pool: Pool;
  readonly #origin: string;
  readonly #mix: Required<LoadMix>;
  readonly #body: Buffer | null;
  readonly #headers: string[];
  readonly #maxRequests: number;
  readonly #colorHeader: string;
  readonly #versionHeader: string;
  #startedAt = 0;
  #lastEnd = 0;
  #issued = 0;
  #inFlight = 0;
  #stopping = false;
  #started = false;
  #timers: NodeJS.Timeout[] = [];
  #finished: Promise<LoadReport> | null = null;
  #resolveIdle: (() => void) | null = null;

  /** @throws CutoverError('usage') for a non-loopback URL or out-of-range options. */
  constructor(options: LoadOptions) {
    const url = loopbackTarget(options.url);
    this.options = { ...options };
    this.#origin = url.origin;
    positive('durationMs', options.durationMs, false);
    this.#maxRequests = options.maxRequests === undefined ? DEFAULT_MAX_REQUESTS : positive('maxRequests', options.maxRequests, true);
    this.#mix = {
      path: options.path ?? (url.pathname + url.search === '/' ? '/' : url.pathname + url.search),
      slowFraction: fraction('slowFraction', options.slowFraction),
      slowPath: options.slowPath ?? '/slow?ms=1000',
      newConnectionFraction: fraction('newConnectionFraction', options.newConnectionFraction),
      postFraction: fraction('postFraction', options.postFraction),
      postBytes: options.postBytes ?? 1024 * 1024,
    };
    this.#body = this.#mix.postFraction > 0 ? Buffer.alloc(positive('postBytes', this.#mix.postBytes, true), 0x61) : null;
    this.#colorHeader = (options.colorHeader ?? 'x-cutover-color').toLowerCase();
    this.#versionHeader = (options.versionHeader ?? 'x-cutover-version').toLowerCase();
    this.#headers = Object.entries(options.headers ?? {}).flat();
    const timeout = options.requestTimeoutMs ?? 30_000;
    let connections: number;
    if (options.model === 'closed') {
      connections = positive('connections', options.connections, true);
    } else {
      positive('ratePerSec', options.ratePerSec, false);
      connections = options.maxConnections === undefined ? 256 : positive('maxConnections', options.maxConnections, true);
    }
    this.#pool = new Pool(this.#origin, { connections, headersTimeout: timeout, bodyTimeout: timeout });
  }

  /** Resolves with the report once the run ended (limits reached or `stop()`), after `start()`. */
  get finished(): Promise<LoadReport> {
    if (this.#finished === null) throw new CutoverError('usage', 'load generator has not been started');
    return this.#finished;
  }

  /** Requests completed so far. */
  get completed(): number {
    return this.#recorder.size;
  }

  /** Begins sending. Idempotent. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.#startedAt = performance.now();
    const idle = new Promise<void>((resolve) => { this.#resolveIdle = resolve; });
    this.#finished = idle.then(() => this.#close());
    this.#timers.push(setTimeout(() => this.#beginStop(), this.options.durationMs));
    if (this.options.model === 'closed') {
      for (let i = 0; i < this.options.connections; i++) this.#loop();
    } else {
      this.#tick(this.options.ratePerSec);
    }
    return this;
  }

  /** Starts a new named window for every request sent from now on. */
  mark(label: string): void {
    this.#recorder.mark(label);
  }

  /** Stops sending, waits for requests in flight (each bounded by requestTimeoutMs) and reports. Idempotent. */
  stop(): Promise<LoadReport> {
    this.start();
    this.#beginStop();
    return this.finished;
  }

  records(): LoadRecord[] {
    return this.#recorder.records();
  }

  report(): LoadReport {
    const end = this.#lastEnd || performance.now();
    const durationMs = Math.max(0, end - this.#startedAt);
    const { windows, total } = this.#recorder.summarize();
    return {
      model: this.options.model,
      url: this.options.url,
      durationMs: Math.round(durationMs),
      achievedRps: durationMs > 0 ? Math.round((this.#recorder.size / durationMs) * 1000 * 10) / 10 : 0,
      windows,
      total,
    };
  }

  #beginStop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    if (this.#inFlight === 0) this.#resolveIdle?.();
  }

  async #close(): Promise<LoadReport> {
    await this.#pool.close().catch(() => {});
    return this.report();
  }

  #plan(): RequestPlan {
    const mix = this.#mix;
    const slow = mix.slowFraction > 0 && Math.random() < mix.slowFraction;
    const post = this.#body !== null && Math.random() < mix.postFraction;
    const reset = mix.newConnectionFraction > 0 && Math.random() < mix.newConnectionFraction;
    return { path: slow ? mix.slowPath : mix.path, method: post ? 'POST' : 'GET', reset };
  }

  /** Sends one request; `then` runs when it ended either way. */
  #send(scheduled: number, then: (() => void) | null): void {
    this.#issued++;
    this.#inFlight++;
    const window = this.#recorder.currentWindow;
    const plan = this.#plan();
    const start = performance.now();
    const probe = new ResponseProbe(this.#colorHeader, this.#versionHeader, (p, error) => {
      const end = performance.now();
      this.#lastEnd = end;
      this.#inFlight--;
      this.#recorder.add(window, scheduled < 0 ? start : scheduled, start, end, error === null ? p.status : 0, error, p.color, p.version);
      if (then !== null && !this.#stopping) then();
      else if (this.#stopping && this.#inFlight === 0) this.#resolveIdle?.();
    });
    this.#pool.dispatch({
      path: plan.path,
      method: plan.method,
      headers: plan.method === 'POST' ? [...this.#headers, 'content-type', 'application/octet-stream'] : this.#headers,
      body: plan.method === 'POST' ? this.#body : null,
      reset: plan.reset,
    }, probe);
  }

  #loop = (): void => {
    if (this.#stopping) return;
    if (this.#issued >= this.#maxRequests) {
      this.#beginStop();
      return;
    }
    // A fresh macrotask per request keeps N loops from starving timers and marks.
    this.#send(-1, () => setImmediate(this.#loop));
  };

  #tick(rate: number): void {
    if (this.#stopping) return;
    const now = performance.now();
    const interval = 1000 / rate;
    // Request i is due at start + i*interval, for every i*interval inside durationMs.
    const scheduled = Math.ceil(this.options.durationMs / interval);
    const due = Math.min(this.#maxRequests, scheduled, Math.floor((now - this.#startedAt) / interval) + 1);
    while (this.#issued < due) this.#send(this.#startedAt + this.#issued * interval, null);
    if (this.#issued >= this.#maxRequests || this.#issued >= scheduled) {
      this.#beginStop();
      return;
    }
    const next = this.#startedAt + this.#issued * interval - performance.now();
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.#tick(rate);
    }, Math.max(0, next));
    this.#timers.push(timer);
  }
}

/** Runs one load to its limits and returns the report. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  return new LoadGenerator(options).start().finished;
}
