import * as z from 'zod';
import { resolve } from 'node:path';
import { byteSizeField, DURATION_LIMITS, durationField, parseByteSize } from '../../config/fields.ts';
import { parseDuration } from '../../config/duration.ts';
import type { LogRotationPolicy } from './log-rotation.ts';
import type { RestartPolicy } from './release-spec.ts';

/** Restarting a crashed replica sooner than this is a spin, not a backoff. */
const RESTART_DELAY = { minMs: 10 } as const;

export const localPlatformSchema = z.object({
  kind: z.literal('local'),
  command: z.array(z.string().min(1)).min(1)
    .describe('argv of one replica, run with no shell. ${version} and ${port} are substituted. Gets PORT, CUTOVER_COLOR, CUTOVER_VERSION and FEATURE_FLAGS_JSON.'),
  cwd: z.string().default('.').describe('Working directory of the replicas, relative to this file; ${version} is substituted.'),
  env: z.record(z.string(), z.string()).default({}).describe('Extra environment for the replicas; ${version} and ${port} are substituted.'),
  replicas: z.number().int().min(1).max(64).default(1).describe('Processes per color; traffic is balanced across them.'),
  readyTimeout: durationField('How long provision waits for every replica to accept connections.').default('60s'),
  stopTimeout: durationField('How long a stopping replica gets after SIGTERM before SIGKILL.', DURATION_LIMITS.optionalWait).default('10s'),
  memoryLimit: z.union([byteSizeField('Resident memory per replica past which it is killed and restarted, like a container limit; the bake window rolls back on it.'), z.literal(false)])
    .default('1Gi')
    .describe('Resident memory per replica (e.g. 512Mi) past which the supervisor kills and restarts it, like a container memory limit, and the bake window rolls the release back; false turns the watch off. Default 1Gi: far above what a typical service needs, so only a leak reaches it.'),
  restart: z.object({
    backoff: durationField('First delay before restarting a crashed replica; doubles each time.', RESTART_DELAY).default('250ms'),
    maxBackoff: durationField('Longest delay between restarts.', RESTART_DELAY).default('5s'),
    crashLoopAfter: z.number().int().min(1).default(3).describe('This many crashes within `window` mark the color crash-looping; it is never made live.'),
    window: durationField('The window for counting crashes.', { minMs: 1_000 }).default('60s'),
  }).strict().default({ backoff: '250ms', maxBackoff: '5s', crashLoopAfter: 3, window: '60s' }),
  logs: z.object({
    maxSize: byteSizeField('A replica log (and daemon.log) larger than this is rotated.', 4_096).default('10MB'),
    keep: z.number().int().min(0).max(100).default(3).describe('Rotated files kept per log (`x.log.1` newest).'),
  }).strict().default({ maxSize: '10MB', keep: 3 }).describe('Size cap for the logs under .cutover/: at most (keep + 1) × maxSize per replica stream.'),
}).strict().describe('Run each color as local processes behind cutover\'s own router.');

export interface ResolvedLocalPlatform {
  readonly kind: 'local';
  readonly command: readonly string[];
  /** Absolute, may still contain ${version}. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly replicas: number;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly restart: RestartPolicy;
  /** Null when memory is not watched. */
  readonly memoryLimitBytes?: number | null;
  /** Optional so hand-built platforms (tests) need not name it; the config always sets it. */
  readonly logs?: LogRotationPolicy;
}

export function normalizeLocalPlatform(input: z.output<typeof localPlatformSchema>, baseDir: string): ResolvedLocalPlatform {
  return {
    kind: 'local',
    command: input.command,
    cwd: resolve(baseDir, input.cwd),
    env: input.env,
    replicas: input.replicas,
    readyTimeoutMs: parseDuration(input.readyTimeout),
    stopTimeoutMs: parseDuration(input.stopTimeout),
    memoryLimitBytes: input.memoryLimit === false ? null : parseByteSize(input.memoryLimit),
    restart: {
      backoffMs: parseDuration(input.restart.backoff),
      maxBackoffMs: parseDuration(input.restart.maxBackoff),
      crashLoopRestarts: input.restart.crashLoopAfter,
      windowMs: parseDuration(input.restart.window),
    },
    logs: { maxBytes: parseByteSize(input.logs.maxSize)!, keep: input.logs.keep },
  };
}
