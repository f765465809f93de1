import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { OperationContext } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { runDeploy } from '../engine/run-phases.ts';
import { operationIsRunning } from './wait-for-operation.ts';

/**
 * `cutover promote`: releases a deploy waiting at the gate. If its process is still running
 * (interactive or manual gate) it gets the signal; a `--no-switch` deploy that has exited is
 * continued here, from the switch on.
 */
export async function promote(deps: CoreDeps): Promise<OperationResult> {
  const state = await deps.store.load();
  const op = state?.operation;
  // Nothing to promote is a usage error (exit 2), like a verb given the wrong target.
  if (!state || !op || op.kind !== 'deploy') throw new CutoverError('usage', 'no deploy is waiting to be promoted');
  if (await operationIsRunning(deps)) {
    await deps.store.sendSignal(op.id, 'promote');
    return resultFrom(state, op, 'waiting', `sent promote to the running deploy of ${op.version} (pid ${op.holder.pid})`);
  }
  if (op.phase !== 'gate') throw new CutoverError('usage', `the deploy of ${op.version} is at ${op.phase}, not waiting at the gate; run \`cutover resume\``);
  const ctx = await OperationContext.open(deps, `promote ${op.version}`);
  try {
    ctx.adopt();
    ctx.op.promoted = true;
    return await runDeploy(ctx, 'gate');
  } finally {
    await ctx.close();
  }
}
