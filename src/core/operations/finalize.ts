import type { CoreDeps } from '../deps.ts';
import { OperationContext } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { retire } from '../phases/retire.ts';
import { otherColor } from '../types.ts';
import { operationIsRunning } from './wait-for-operation.ts';
import { CutoverError } from '../errors.ts';

/**
 * `cutover finalize`: ends the bake window now and retires the old color. A running deploy is
 * signalled to do it; otherwise the idle color still running from an earlier release is retired.
 */
export async function finalize(deps: CoreDeps): Promise<OperationResult> {
  const state = await deps.store.load();
  const running = state?.operation;
  if (running && (await operationIsRunning(deps))) {
    await deps.store.sendSignal(running.id, 'finalize');
    return resultFrom(state!, running, 'promoted', `asked the running ${running.kind} of ${running.version} to finish its bake window and retire the old color now`);
  }
  if (running) throw new CutoverError('refused', `an interrupted ${running.kind} of ${running.version} exists; run \`cutover resume\` or \`cutover abort\` first`);
  const ctx = await OperationContext.open(deps, 'finalize');
  try {
    const live = ctx.state.live;
    if (!live) throw new CutoverError('refused', 'nothing is live');
    const idle = otherColor(live);
    await ctx.begin('finalize', ctx.state.colors[idle].version, live, {});
    await ctx.beginPhase('preflight', 'finding the color to retire');
    await ctx.endPhase('succeeded', `${live} (${ctx.state.colors[live].version}) is live; ${idle} is ${ctx.state.colors[idle].state}`);
    await retire(ctx, idle, { delay: false });
    const op = ctx.op;
    await ctx.finish('promoted', `${idle} retired`);
    return resultFrom(ctx.state, op, 'promoted', `${idle} retired`);
  } finally {
    await ctx.close();
  }
}
