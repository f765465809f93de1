import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secret that marks cutover's own switch probes. The data plane tells a request that
 * carries it which color served it (`x-cutover-served-by`); anyone else who sends
 * `x-cutover-probe` learns nothing, since which color serves (and where a split sends whom) is
 * the deployment's internals. Only the control plane knows the token: the listener keeper
 * makes it and gives it to each daemon process it runs (listener-keeper.ts), the daemon holds
 * it in memory and hands it to the CLI over the admin socket, and HAProxy has it in its
 * generated config, in the daemon's private directory.
 */

/** Request header that carries the probe token on cutover's own traffic probes. */
export const PROBE_HEADER = 'x-cutover-probe';

/** Response header, on cutover's own probes only, naming the color that served. */
export const SERVED_BY_HEADER = 'x-cutover-served-by';

const TOKEN_BYTES = 32;
const TOKEN_FORMAT = /^[0-9a-f]{64}$/;

/** A fresh token: 256 random bits as lower-case hex (a plain token in an HAProxy config line). */
export function newProbeToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

/** True for a string newProbeToken could have made. */
export function isProbeToken(value: string): boolean {
  return TOKEN_FORMAT.test(value);
}

/**
 * A test of a request's `x-cutover-probe` value against `token`, in constant time: how much of
 * a guess matched must not show in how long the answer takes. Only the length may differ
 * quickly, and every token has the same length.
 */
export function probeTokenMatcher(token: string): (value: string) => boolean {
  const expected = Buffer.from(token, 'latin1');
  return (value) => {
    if (value.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(value, 'latin1'), expected);
  };
}
