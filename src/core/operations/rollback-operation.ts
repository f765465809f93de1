import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { OperationContext, PhaseFailure } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { rollback } from '../phases/rollback.ts';
import { otherColor, type OperationOptions } from '../types.ts';
import { operationIsRunning, signalAndWait } from './wait-for-operation.ts';
import { resume } from './resume.ts';
import { runHook } from '../engine/run-hook.ts';

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
    const result = await resume(deps, 'abort');
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
    return await driveRollback(ctx);
  } finally {
    await ctx.close();
  }
}

/** The phases of a standalone rollback: preflight (migration safety), then the rollback itself. */
export async function driveRollback(ctx: OperationContext): Promise<OperationResult> {
  const op = ctx.op;
  const back = op.target;
  const failed = otherColor(back);
  try {
    await ctx.beginPhase('preflight', `checking that ${op.version} may run again`);
    const blocker = ctx.deps.migrations ? await ctx.deps.migrations.rollbackBlocker(op.version!, ctx.state.releases) : null;
    if (blocker && !op.options.force) {
      const restore = ctx.deps.lifecycle?.has('onContractRollback')
        ? '; --force runs hooks.onContractRollback (your restore command) first'
        : '; hooks.onContractRollback in cutover.yaml is the place for a point-in-time restore of the database, which --force runs first';
      throw new PhaseFailure(`rollback to ${op.version} refused: ${blocker}; pass --force to roll back anyway${restore}`);
    }
    if (blocker) ctx.deps.reporter.warn(`--force: rolling back past a contract migration: ${blocker}. The old release may fail against the current schema.`);
    if (blocker) await runHook(ctx, 'onContractRollback', back, blocker);
    await ctx.endPhase('succeeded', blocker ? `forced past: ${blocker}` : 'no contract migration blocks it');
  } catch (err) {
    const message = (err as Error).message;
    if (ctx.inPhase) await ctx.endPhase('failed', message);
    await ctx.finish('failed', message);
    throw new CutoverError('refused', message);
  }
  const ok = await rollback(ctx, back, failed, 'requested with `cutover rollback`', { manual: true });
  if (!ok && ctx.stranded) {
    const message = `rollback to ${back} could not move traffic: traffic stays on ${failed}`;
    await ctx.finish('stranded', message);
    return { ...resultFrom(ctx.state, op, 'stranded', message), next: ctx.stranded.next };
  }
  const message = ok ? `${op.version} is live again on ${back}` : `rollback to ${back} failed`;
  await ctx.finish(ok ? 'rolled_back' : 'failed', message);
  return resultFrom(ctx.state, op, ok ? 'rolled_back' : 'failed', message);
}
