import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { OperationContext } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { continueOperation, runRollback } from '../engine/run-phases.ts';
import { otherColor, type OperationOptions } from '../types.ts';
import { operationIsRunning, signalAndWait } from './wait-for-operation.ts';

const WAIT_FOR_RUNNING_MS = 10 * 60_000;

/**
 * `cutover rollback`: puts traffic back on the other color. If a deploy is running elsewhere it
 * is asked to roll back (it owns the operation); an orphaned one is rolled back here; otherwise a
 * new rollback operation runs. Refused after a contract migration unless forced.
 */
export async function rollbackCommand(deps: CoreDeps, options: OperationOptions): Promise<OperationResult> {
  const existing = (await deps.store.load())?.operation;
  if (existing && (await operationIsRunning(deps))) {
    deps.reporter.info(`asking the running ${existing.kind} ${existing.version ?? ''} to roll back`);
    const after = await signalAndWait(deps, existing.id, 'rollback', WAIT_FOR_RUNNING_MS);
    if (after) {
      const outcome = after.lastOutcome?.operationId === existing.id ? after.lastOutcome.outcome : 'rolled_back';
      return resultFrom(after, existing, outcome, `the running ${existing.kind} ended: ${outcome}`);
    }
  }
  if (existing) {
    const result = await continueOperation(deps, 'abort');
    if (result) return result;
  }
  const ctx = await OperationContext.open(deps, 'rollback');
  try {
    const live = ctx.state.live;
    if (!live) throw new CutoverError('refused', 'nothing is live, so there is nothing to roll back');
    const back = otherColor(live);
    const version = ctx.state.colors[back].version;
    if (!version) throw new CutoverError('refused', `${back} never ran a release, so there is nothing to roll back to`);
    await ctx.begin('rollback', version, back, options);
    return await runRollback(ctx);
  } finally {
    await ctx.close();
  }
}
