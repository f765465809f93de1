import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { declined } from '../engine/phase-outcome.ts';
import type { Color } from '../types.ts';

const SIGNAL_POLL_MS = 250;

/** After `scaleDown.delay`, drains and scales the old color down. A rollback during the delay is still instant. */
export async function retire(ctx: OperationContext, color: Color | null, options: { delay: boolean }): Promise<void> {
  const { driver, settings } = ctx.deps;
  const delayMs = options.delay ? settings.scaleDown.delayMs : 0;
  await ctx.beginPhase('retire', color ? `retiring ${color} after ${formatDuration(delayMs)}` : 'nothing to retire');
  if (!color || !ctx.state.colors[color].version || ctx.state.colors[color].state === 'retired') {
    await ctx.endPhase('skipped', color ? `${color} is not running` : 'no previous color');
    return;
  }
  const until = ctx.clock.now() + delayMs;
  while (ctx.clock.now() < until) {
    if (ctx.hasSignal('finalize')) break;
    if (ctx.hasSignal('rollback') || ctx.abort.signal.aborted) throw declined('rollback requested during the scale-down delay');
    await ctx.clock.sleep(Math.min(SIGNAL_POLL_MS, until - ctx.clock.now()), ctx.abort.signal);
  }
  await driver.retire(color, { replicas: settings.scaleDown.replicas });
  ctx.setColor(color, 'retired');
  const keep = settings.scaleDown.replicas;
  await ctx.endPhase('succeeded', `${color} (${ctx.state.colors[color].version}) ${keep > 0 ? `scaled down to ${keep}` : 'stopped'}`);
}
