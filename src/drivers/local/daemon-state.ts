import { readFileSync, renameSync } from 'node:fs';
import * as z from 'zod';
import type { Color } from '../../core/types.ts';
import type { LocalReleaseSpec } from './release-spec.ts';
import type { ReplicaSnapshot } from './replica-process.ts';

/**
 * A color's release as written to `daemon.json`: the spec without the values of `env`, which
 * may hold secrets such as a `DATABASE_URL` password. Only the names are kept; a restarted
 * daemon takes the values from the config it was started with.
 */
export type PersistedSpec = Omit<LocalReleaseSpec, 'env'> & { envKeys: string[] };

export interface PersistedColor {
  spec: PersistedSpec;
  replicas: ReplicaSnapshot[];
}

/** What the daemon persists so that, after its own restart, it serves exactly what it served before. */
export interface DaemonSnapshot {
  pid: number;
  live: Color | null;
  colors: Partial<Record<Color, PersistedColor>>;
  maintenance: { on: boolean; message?: string };
  split?: unknown;
  /**
   * Written by `cutover down`: every process was stopped on purpose. The next `up` brings back
   * only the live color's release, health-checked before it takes traffic.
   */
  stopped?: boolean;
}

const colorSchema = z.enum(['blue', 'green']);
const replicaSchema = z.object({
  index: z.number().int().min(0),
  port: z.number().int().min(1).max(65535),
  pid: z.number().int().positive().nullable(),
  startTime: z.string().nullable(),
});
const specSchema = z.object({
  version: z.string().min(1),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  // Snapshots from before env redaction carried the values; read them, never write them again.
  env: z.record(z.string(), z.string()).optional(),
  envKeys: z.array(z.string()).optional(),
  replicas: z.number().int().min(1),
  flags: z.record(z.string(), z.unknown()),
  restart: z.object({ backoffMs: z.number(), maxBackoffMs: z.number(), crashLoopRestarts: z.number(), windowMs: z.number() }),
  stopTimeoutMs: z.number(),
  memoryLimitBytes: z.number().int().min(1).optional(),
}).transform(({ env, envKeys, ...rest }) => ({ ...rest, envKeys: envKeys ?? Object.keys(env ?? {}) }));
const snapshotSchema = z.object({
  pid: z.number().int(),
  live: colorSchema.nullable(),
  colors: z.object({ blue: z.object({ spec: specSchema, replicas: z.array(replicaSchema) }).optional(), green: z.object({ spec: specSchema, replicas: z.array(replicaSchema) }).optional() }),
  maintenance: z.object({ on: z.boolean(), message: z.string().optional() }),
  split: z.unknown().optional(),
  stopped: z.boolean().optional(),
});

export type SnapshotRead =
  | { kind: 'missing' }
  | { kind: 'ok'; snapshot: DaemonSnapshot }
  /** Torn, not JSON, or the wrong shape; `movedTo` is where the bad file was kept for inspection. */
  | { kind: 'corrupt'; reason: string; movedTo: string | null };

/** Reads `daemon.json` through its schema. Never throws: a damaged file is data, not a bug. */
export function readDaemonSnapshotFile(path: string, options: { moveAsideCorrupt?: boolean } = {}): SnapshotRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', reason: (err as Error).message, movedTo: null };
  }
  let reason: string;
  try {
    const parsed = snapshotSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: 'ok', snapshot: parsed.data as DaemonSnapshot };
    reason = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  } catch (err) {
    reason = text.length === 0 ? 'the file is empty' : `not valid JSON (${(err as Error).message})`;
  }
  let movedTo: string | null = null;
  if (options.moveAsideCorrupt) {
    const aside = `${path}.corrupt-${Date.now()}`;
    try {
      renameSync(path, aside);
      movedTo = aside;
    } catch { /* left in place; the next write replaces it */ }
  }
  return { kind: 'corrupt', reason, movedTo };
}

/** The snapshot, or null when there is none or it cannot be read. */
export function readDaemonSnapshot(path: string): DaemonSnapshot | null {
  const read = readDaemonSnapshotFile(path);
  return read.kind === 'ok' ? read.snapshot : null;
}
