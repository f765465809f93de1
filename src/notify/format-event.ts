import { formatDuration } from '../config/duration.ts';
import type { LifecycleEvent } from '../core/deps.ts';

export type WebhookFormat = 'json' | 'slack';

/** One line a person reads in a chat channel, e.g. `shop-api: deploy v2 finished: rolled_back (p99 failed ...)`. */
export function describeEvent(event: LifecycleEvent): string {
  const what = `${event.app}: ${event.kind}${event.version ? ` ${event.version}` : ''}`;
  const note = event.message ? ` (${event.message})` : '';
  switch (event.type) {
    case 'operation-started':
      return `${what} started${note}`;
    case 'phase-finished': {
      const phase = event.phase;
      if (!phase) return `${what}: a phase finished${note}`;
      return `${what}: phase ${phase.name} ${phase.status} in ${formatDuration(phase.durationMs)}${phase.detail ? `: ${phase.detail}` : ''}`;
    }
    case 'verdict':
      return `${what}: analysis verdict${event.message ? `: ${event.message}` : ''}`;
    case 'operation-finished':
      return `${what} finished: ${event.outcome ?? 'done'}${note}`;
  }
}

/** The request body for a webhook: the event itself (plus time and summary), or Slack's `{text}`. */
export function webhookBody(event: LifecycleEvent, format: WebhookFormat, at: Date): string {
  const text = describeEvent(event);
  if (format === 'slack') return JSON.stringify({ text });
  return JSON.stringify({ ...event, at: at.toISOString(), summary: text });
}
