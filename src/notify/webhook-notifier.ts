import { request } from 'undici';
import { formatDuration } from '../config/duration.ts';
import type { LifecycleEvent } from '../core/deps.ts';
import { describeError } from '../metrics/measurement.ts';
import { webhookBody, type WebhookFormat } from './format-event.ts';

/** One webhook, resolved from config. */
export interface WebhookTarget {
  readonly url: string;
  readonly format: WebhookFormat;
  /** Event types to send; undefined sends all. */
  readonly events?: ReadonlyArray<LifecycleEvent['type']>;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Extra attempts after a failed one. */
  readonly retries: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What became of one event sent to one webhook. */
export interface DeliveryReport {
  readonly url: string;
  readonly event: LifecycleEvent['type'];
  readonly ok: boolean;
  readonly attempts: number;
  /** The last HTTP status, when there was an answer. */
  readonly status?: number;
  /** Why the last attempt failed. */
  readonly error?: string;
}

export interface NotifierOptions {
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Events waiting per webhook; beyond it the oldest waiting one is dropped (and reported). */
  maxQueue?: number;
  /** Called after each delivery finishes, succeeded or not. Must not throw. */
  onDelivery?: (report: DeliveryReport) => void;
}

interface Queued {
  event: LifecycleEvent;
  at: Date;
}

/**
 * Sends lifecycle events to webhooks without ever holding up the caller: `notify` only
 * queues and returns, so a slow, failing or hanging webhook cannot delay a rollback.
 * Each webhook gets its events in order (one delivery at a time), with timeouts and
 * retries with exponential backoff on network errors, timeouts, 429 and 5xx.
 */
export class WebhookNotifier {
  private readonly queues: Array<{ target: WebhookTarget; waiting: Queued[]; running: Promise<void> | null }>;
  private readonly reports: DeliveryReport[] = [];
  private readonly stop = new AbortController();
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxQueue: number;

  constructor(targets: readonly WebhookTarget[], private readonly options: NotifierOptions = {}) {
    this.queues = targets.map((target) => ({ target, waiting: [], running: null }));
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxQueue = options.maxQueue ?? 100;
  }

  /** Queues `event` for every webhook that wants it and returns at once. Never throws. After `close`, does nothing. */
  notify(event: LifecycleEvent): void {
    if (this.stop.signal.aborted) return;
    const at = new Date();
    for (const queue of this.queues) {
      if (queue.target.events && !queue.target.events.includes(event.type)) continue;
      queue.waiting.push({ event, at });
      if (queue.waiting.length > this.maxQueue) {
        const dropped = queue.waiting.shift()!;
        this.report({ url: queue.target.url, event: dropped.event.type, ok: false, attempts: 0, error: `dropped: more than ${this.maxQueue} events were waiting` });
      }
      if (!queue.running) queue.running = this.drain(queue);
    }
  }

  /** Every delivery finished so far, oldest first. */
  deliveries(): readonly DeliveryReport[] {
    return [...this.reports];
  }

  /**
   * Gives deliveries in progress up to `maxWaitMs` to finish, then abandons the rest.
   * Idempotent; never throws. Returns every delivery report.
   */
  async close(maxWaitMs: number): Promise<readonly DeliveryReport[]> {
    const pending = this.queues.map((q) => q.running).filter((p): p is Promise<void> => p !== null);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, maxWaitMs)))]);
    clearTimeout(timer);
    this.stop.abort();
    await Promise.all(pending);
    return this.deliveries();
  }

  private async drain(queue: (typeof this.queues)[number]): Promise<void> {
    try {
      for (let next = queue.waiting.shift(); next; next = queue.waiting.shift()) {
        if (this.stop.signal.aborted) {
          this.report({ url: queue.target.url, event: next.event.type, ok: false, attempts: 0, error: 'abandoned: the notifier was closed' });
          continue;
        }
        this.report(await this.deliver(queue.target, next));
      }
    } finally {
      queue.running = null;
    }
  }

  private async deliver(target: WebhookTarget, item: Queued): Promise<DeliveryReport> {
    const body = webhookBody(item.event, target.format, item.at);
    let last: { status?: number; error: string } = { error: 'not sent' };
    for (let attempt = 1; attempt <= target.retries + 1; attempt++) {
      if (attempt > 1) {
        await this.pause(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 2)));
        if (this.stop.signal.aborted) return { url: target.url, event: item.event.type, ok: false, attempts: attempt - 1, ...last };
      }
      const result = await this.attempt(target, body);
      if (result.ok) return { url: target.url, event: item.event.type, ok: true, attempts: attempt, status: result.status };
      last = { status: result.status, error: result.error };
      if (!result.retryable) return { url: target.url, event: item.event.type, ok: false, attempts: attempt, ...last };
    }
    return { url: target.url, event: item.event.type, ok: false, attempts: target.retries + 1, ...last };
  }

  private async attempt(target: WebhookTarget, body: string): Promise<{ ok: true; status: number } | { ok: false; retryable: boolean; status?: number; error: string }> {
    const timeout = AbortSignal.timeout(target.timeoutMs);
    try {
      const response = await request(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cutover', ...target.headers },
        body,
        signal: AbortSignal.any([timeout, this.stop.signal]),
      });
      await response.body.dump();
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status };
      return { ok: false, retryable: status === 429 || status >= 500, status, error: `answered ${status}` };
    } catch (err) {
      if (this.stop.signal.aborted) return { ok: false, retryable: false, error: 'abandoned: the notifier was closed' };
      if (timeout.aborted) return { ok: false, retryable: true, error: `no answer within ${formatDuration(target.timeoutMs)}` };
      return { ok: false, retryable: true, error: describeError(err) };
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  private report(report: DeliveryReport): void {
    this.reports.push(report);
    try {
      this.options.onDelivery?.(report);
    } catch {
      // A listener's bug must not stop deliveries.
    }
  }
}
