import type { CoreDeps } from '../deps.ts';
import { abandon, driveDeploy, resumeEntry } from './deploy.ts';
import { trafficMayHaveMoved } from '../transitions.ts';
import { OperationContext } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { driveRollback } from './rollback-operation.ts';

/**
 * `cutover resume`: finishes, or rolls back, an operation whose process died. Reality (where the
 * platform sends traffic now) decides where to re-enter, never the record alone.
 * Returns null when there is nothing to resume.
 */
export async function resume(deps: CoreDeps, intent: 'finish' | 'abort' = 'finish'): Promise<OperationResult | null> {
  const ctx = await OperationContext.open(deps, intent === 'abort' ? 'abort' : 'resume');
  try {
    const op = ctx.state.operation;
    if (!op) return null;
    ctx.adopt();
    const platform = await deps.driver.status();
    const trafficOnTarget = platform.live === op.target && op.from !== op.target;
    if (intent === 'abort') {
      if (ctx.state.live !== platform.live && platform.live) ctx.state.live = platform.live;
      ctx.abort.abort();
      if (trafficOnTarget || trafficMayHaveMoved(op.phase)) return await driveDeploy(ctx, 'rollback', 'aborted with `cutover abort`');
      return await abandon(ctx, 'aborted with `cutover abort`');
    }
    if (op.kind === 'rollback') return await driveRollback(ctx);
    if (op.kind !== 'deploy') {
      // flags, maintenance and finalize are single steps: rerunning them is the caller's choice.
      await ctx.finish('failed', `${op.kind} was interrupted; run it again`);
      return resultFrom(ctx.state, op, 'failed', `${op.kind} was interrupted; run it again`);
    }
    const last = op.phases.at(-1);
    if (op.phase === 'gate' && last?.status === 'waiting') {
      return resultFrom(ctx.state, op, 'waiting', `${op.version} is waiting at the gate; run \`cutover promote\` or \`cutover abort\``);
    }
    // If the process died mid-switch, the record may not say live yet while the platform does.
    if (trafficOnTarget && ctx.state.live !== op.target) {
      ctx.state.live = platform.live;
    }
    const entry = resumeEntry(op.phase, trafficOnTarget);
    return await driveDeploy(ctx, entry, op.phase === 'shift' ? `a progressive step of ${op.version} was interrupted` : undefined);
  } finally {
    await ctx.close();
  }
}
