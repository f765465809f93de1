import type { CoreDeps } from '../deps.ts';
import { systemClock } from '../deps.ts';
import type { OperationSignal } from '../signals.ts';
import type { AppState } from '../types.ts';

/**
 * Sends `signal` to an operation running in another process and waits until that operation
 * ends (or `timeoutMs` passes). Returns the state after it ended, or null on timeout.
 */
export async function signalAndWait(deps: CoreDeps, operationId: string, signal: OperationSignal, timeoutMs: number): Promise<AppState | null> {
  const clock = deps.clock ?? systemClock;
  await deps.store.sendSignal(operationId, signal);
  const deadline = clock.now() + timeoutMs;
  while (clock.now() < deadline) {
    const state = await deps.store.load();
    if (!state?.operation || state.operation.id !== operationId) return state;
    const holder = await deps.store.lockHolder();
    // The holder died after we signalled: nobody will act on it, so the caller must.
    if (!holder || (await deps.store.isHolderGone(holder))) return null;
    await clock.sleep(200);
  }
  return null;
}

/** True when the lock is held by a live process (so an operation is actively running). */
export async function operationIsRunning(deps: CoreDeps): Promise<boolean> {
  const holder = await deps.store.lockHolder();
  return holder !== null && !(await deps.store.isHolderGone(holder));
}
