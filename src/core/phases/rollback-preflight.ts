import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure } from '../engine/phase-outcome.ts';
import { runHook } from '../engine/run-hook.ts';

/**
 * The preflight of a standalone `cutover rollback`: the release to go back to may not run
 * against a schema a contract migration changed, unless forced (which runs
 * `hooks.onContractRollback`, the place for a point-in-time restore, first).
 */
export async function rollbackPreflight(ctx: OperationContext): Promise<void> {
  const op = ctx.op;
  const back = op.target;
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
}
