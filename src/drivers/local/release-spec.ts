import type { Color } from '../../core/types.ts';

/** Everything the daemon needs to run one color's release. Sent by the CLI on each provision. */
export interface LocalReleaseSpec {
  version: string;
  /** argv template; `${version}` is already substituted, `${port}` is filled per replica. */
  command: string[];
  /** Absolute working directory (templates already substituted). */
  cwd: string;
  env: Record<string, string>;
  replicas: number;
  flags: Record<string, unknown>;
  restart: RestartPolicy;
  stopTimeoutMs: number;
  /** Resident memory past which a replica is killed and restarted (like a container limit); absent: unwatched. */
  memoryLimitBytes?: number;
}

export interface RestartPolicy {
  /** First delay before restarting a crashed replica; doubles each time up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** This many crashes within `windowMs` make the color crash-looping. */
  crashLoopRestarts: number;
  windowMs: number;
}

/** Fills `${port}` (and any remaining `${version}`) in one argv entry. Plain string replacement: no shell ever sees it. */
export function renderArg(arg: string, values: { port: number; version: string }): string {
  return arg.replaceAll('${port}', String(values.port)).replaceAll('${version}', values.version);
}

export function processEnv(spec: LocalReleaseSpec, color: Color, port: number, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(spec.env)) env[key] = renderArg(value, { port, version: spec.version });
  env.PORT = String(port);
  env.CUTOVER_COLOR = color;
  env.CUTOVER_VERSION = spec.version;
  env.FEATURE_FLAGS_JSON = JSON.stringify(spec.flags);
  return env;
}

/** Two specs run the same processes (so a provision with the same spec restarts nothing). */
export function sameRelease(a: LocalReleaseSpec, b: LocalReleaseSpec): boolean {
  return a.version === b.version && a.replicas === b.replicas && a.cwd === b.cwd
    && JSON.stringify(a.command) === JSON.stringify(b.command)
    && JSON.stringify(a.env) === JSON.stringify(b.env)
    && JSON.stringify(a.flags) === JSON.stringify(b.flags);
}
