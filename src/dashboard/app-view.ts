import type { LogLine } from '../core/driver.ts';
import { COLORS, type AppState, type Color, type HistoryEntry } from '../core/types.ts';
import type { StatusReport } from '../core/operations/status-report.ts';

/** How many log lines per color the page keeps. */
export const LOG_TAIL_LINES = 200;
/** How many history entries the page gets (newest last). */
export const HISTORY_ENTRIES = 400;

/** A moment to mark on the charts: live traffic moved. */
export interface TrafficMarker {
  at: number;
  kind: 'switch' | 'rollback';
  to: Color | null;
  label: string;
}

/**
 * Everything the page shows about one app, as plain JSON. Every string in it is untrusted
 * (app names, versions, log lines, check output): the page only ever puts them in text nodes.
 */
export interface AppView {
  app: string;
  platform: string;
  generatedAt: number;
  /** False when actions cannot run from this dashboard (read-only session, or an app seen without its config). */
  actions: boolean;
  status: StatusReport | null;
  statusError?: string;
  state: AppState | null;
  history: HistoryEntry[];
  logs: Record<Color, LogLine[]>;
  markers: TrafficMarker[];
}

/**
 * The moments live traffic moved, from the history: each successful switch or rollback phase
 * (a rollback phase ends once traffic is back on the old color).
 */
export function trafficMarkers(history: readonly HistoryEntry[]): TrafficMarker[] {
  const markers: TrafficMarker[] = [];
  for (const entry of history) {
    const phase = entry.phase;
    if (entry.event !== 'phase' || !phase || phase.status !== 'succeeded') continue;
    if (phase.name !== 'switch' && phase.name !== 'rollback') continue;
    const at = Date.parse(phase.startedAt) + phase.durationMs;
    const to = entry.live?.color ?? null;
    markers.push({ at, kind: phase.name, to, label: `${phase.name}${entry.version ? ` ${entry.version}` : ''}${to ? ` → ${to}` : ''}` });
  }
  return markers;
}

/** Keeps the last `limit` lines per color, in the order they came. */
export function tailLines(lines: readonly LogLine[], limit = LOG_TAIL_LINES): Record<Color, LogLine[]> {
  const out = { blue: [], green: [] } as Record<Color, LogLine[]>;
  for (const line of lines) out[line.color].push(line);
  for (const color of COLORS) out[color] = out[color].slice(-limit);
  return out;
}
