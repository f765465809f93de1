import { readFileSync } from 'node:fs';
import type { Color } from '../../core/types.ts';
import type { ColorSnapshot } from './supervisor.ts';

/** What the daemon persists so that, after its own restart, it serves exactly what it served before. */
export interface DaemonSnapshot {
  pid: number;
  live: Color | null;
  colors: Partial<Record<Color, ColorSnapshot>>;
  maintenance: { on: boolean; message?: string };
  split?: unknown;
}

export function readDaemonSnapshot(path: string): DaemonSnapshot | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DaemonSnapshot;
  } catch {
    return null;
  }
}
