import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { continueOperation } from '../engine/run-phases.ts';
import { operationIsRunning, signalAndWait } from './wait-for-operation.ts';

const WAIT_FOR_RUNNING_MS = 10 * 60_000;

/**
 * `cutover abort`: stops the current operation and leaves the previously live color serving.
 * A running operation is signalled and cleans up itself; an orphaned or waiting one is undone here.
 */
export async function abortOperation(deps: CoreDeps): Promise<OperationResult> {
  const state = await deps.store.load();
  const op = state?.operation;
  if (!state || !op) throw new CutoverError('refused', 'no operation is in progress');
  if (await operationIsRunning(deps)) {
    deps.reporter.info(`asking the running ${op.kind} ${op.version ?? ''} (pid ${op.holder.pid}) to abort`);
    const after = await signalAndWait(deps, op.id, 'abort', WAIT_FOR_RUNNING_MS);
    if (after) {
      const outcome = after.lastOutcome?.operationId === op.id ? after.lastOutcome.outcome : 'aborted';
      return resultFrom(after, op, outcome, `the ${op.kind} of ${op.version} ended: ${outcome}`);
    }
  }
  const result = await continueOperation(deps, 'abort');
  if (!result) throw new CutoverError('refused', 'no operation is in progress');
  return result;
}
