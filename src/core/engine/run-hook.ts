import type { HookPointName } from '../lifecycle-hooks.ts';
import { otherColor, type Color } from '../types.ts';
import type { OperationContext } from './operation-context.ts';
import { PhaseFailure } from './phase-outcome.ts';

/**
 * Points whose failure changes the release: before the switch it stops like a failed check
 * (live traffic untouched); after the switch and after the bake window it rolls back (the old
 * color is still there); onContractRollback stops the rollback it was meant to make safe.
 * A failing onRollback is only reported: traffic is already back where it should be.
 */
const FAILS_RELEASE: ReadonlySet<HookPointName> = new Set(['beforeProvision', 'afterVerify', 'beforeSwitch', 'afterSwitch', 'afterBake', 'onContractRollback']);

/**
 * Runs `hooks.<point>` for the operation in `ctx` (a no-op when the point has none), keeps the
 * report in the phase evidence, and throws a PhaseFailure naming the hook when it failed at a
 * point that fails the release.
 */
export async function runHook(ctx: OperationContext, point: HookPointName, color: Color, reason?: string): Promise<void> {
  const hooks = ctx.deps.lifecycle;
  if (!hooks?.has(point)) return;
  const op = ctx.op;
  const live = ctx.state.live;
  // On a rollback the hook is told about the release it goes back to (on `color`) and, as the
  // previous version, the one it leaves; otherwise about the release being deployed.
  const rollingBack = point === 'onRollback' || point === 'onContractRollback';
  const version = rollingBack ? ctx.state.colors[color].version ?? op.version ?? '' : op.version ?? '';
  const previewUrl = await ctx.deps.driver.targets(color).then((t) => t.preview, () => '');
  ctx.deps.reporter.info(`hooks.${point}: running`);
  const report = await hooks.run(point, {
    app: ctx.state.app,
    operationId: op.id,
    version,
    color,
    liveColor: live,
    previousVersion: ctx.state.colors[otherColor(color)].version,
    previewUrl,
    reason,
  }, ctx.abort.signal);
  const fails = !report.ok && FAILS_RELEASE.has(point);
  await ctx.recordHook(report, fails);
  if (report.ok) ctx.deps.reporter.info(`hooks.${point}: ${report.summary}`);
  else if (fails) throw new PhaseFailure(`hooks.${point} failed: ${report.summary}`, { hooks: [report] });
  else ctx.deps.reporter.warn(`hooks.${point} failed (the ${op.kind} stands): ${report.summary}`);
}
