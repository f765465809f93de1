/**
 * Reads `read()` every 100 ms until `ok` accepts the value, and returns it; throws naming
 * `what` and the last value read once `timeoutMs` has passed. For scenario tests that wait on
 * a cluster or a process to settle, bounded in time.
 */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}
