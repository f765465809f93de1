import { parseDurationOr } from '../config/duration.ts';
import type { NotificationsConfig } from '../metrics/config-schema.ts';
import { WebhookNotifier, type NotifierOptions, type WebhookTarget } from './webhook-notifier.ts';

export const WEBHOOK_DEFAULTS = { format: 'json', timeoutMs: 5_000, retries: 3 } as const;

/** Builds the notifier for `notifications:` from cutover.yaml; null when no webhook is configured. */
export function createNotifier(config: NotificationsConfig | undefined, options: NotifierOptions = {}): WebhookNotifier | null {
  const webhooks = config?.webhooks ?? [];
  if (webhooks.length === 0) return null;
  const targets: WebhookTarget[] = webhooks.map((w) => ({
    url: w.url,
    format: w.format ?? WEBHOOK_DEFAULTS.format,
    events: w.events,
    timeoutMs: parseDurationOr(w.timeout, WEBHOOK_DEFAULTS.timeoutMs),
    retries: w.retries ?? WEBHOOK_DEFAULTS.retries,
    headers: w.headers,
  }));
  return new WebhookNotifier(targets, options);
}
