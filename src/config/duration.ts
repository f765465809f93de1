import { CutoverError } from '../core/errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** True when `text` is a duration such as `250ms`, `30s`, `5m` or `1h` (or a bare `0`). */
export function isDuration(text: string): boolean {
  return text === '0' || DURATION.test(text.trim());
}

/**
 * Parses `250ms`, `30s`, `5m`, `1h` (or `0`, also the YAML number) into milliseconds.
 * @throws CutoverError('config') for anything else.
 */
export function parseDuration(text: string | 0): number {
  if (text === 0) return 0;
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const match = DURATION.exec(trimmed);
  if (!match) {
    throw new CutoverError('config', `"${text}" is not a duration (expected e.g. 250ms, 30s, 5m, 1h)`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

/** Formats milliseconds the way people write them in cutover.yaml: 1500 -> "1.5s", 300000 -> "5m". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))}m`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}

/**
 * An optional duration field in milliseconds: `fallback` when the field is absent, else
 * {@link parseDuration} of it.
 * @throws CutoverError('config') for a value that is not a duration.
 */
export function parseDurationOr<F extends number | undefined>(text: string | 0 | undefined, fallback: F): number | F {
  return text === undefined ? fallback : parseDuration(text);
}
