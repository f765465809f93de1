import { CutoverError } from '../../core/errors.ts';

/**
 * What a daemon from before the probe token accepts as a probe: its router named the serving
 * color to any `x-cutover-probe`, so any value will do; this is the one those versions sent.
 */
export const LEGACY_PROBE_VALUE = '1';

/**
 * The probe token the running daemon's data plane enforces, asked over the admin socket. A
 * daemon of an older cutover has no such route (the CLI was upgraded, the daemon not yet
 * restarted with `cutover up`); its router answers any probe, so the switch proof still works
 * against it instead of failing a release over a version skew. Any other error is passed on.
 */
export async function probeTokenOf(ask: () => Promise<{ token: string }>): Promise<string> {
  try {
    return (await ask()).token;
  } catch (err) {
    if (err instanceof CutoverError && err.code === 'not-found') return LEGACY_PROBE_VALUE;
    throw err;
  }
}
