import type { CoreDeps } from '../deps.ts';
import { CutoverError } from '../errors.ts';
import { OperationContext } from '../engine/operation-context.ts';
import type { Color } from '../types.ts';

/**
 * Replaces FEATURE_FLAGS_JSON of `color` with `update(current)` and restarts it: the idle color
 * all at once, the live color one replica at a time so no request fails.
 */
export async function changeFlags(deps: CoreDeps, color: Color, update: (current: Record<string, unknown>) => Record<string, unknown>): Promise<{ color: Color; flags: Record<string, unknown>; restarted: 'none' | 'all' | 'rolling' }> {
  const ctx = await OperationContext.open(deps, `flags ${color}`);
  try {
    const flags = update({ ...ctx.state.flags[color] });
    ctx.state.flags[color] = flags;
    ctx.state.flagsChangedAt = { ...ctx.state.flagsChangedAt, [color]: new Date(ctx.clock.now()).toISOString() };
    const running = ctx.state.colors[color].state !== 'empty' && ctx.state.colors[color].state !== 'retired' && ctx.state.colors[color].state !== 'failed';
    const live = ctx.state.live === color;
    if (running) {
      try {
        await deps.driver.setFlags(color, flags, { rolling: live });
      } catch (err) {
        throw new CutoverError('operation-failed', `flags saved, but ${color} could not be restarted with them: ${(err as Error).message}`, { cause: err });
      }
    }
    await ctx.save();
    await ctx.history({ event: 'finished', kind: 'flags', message: `flags on ${color}: ${JSON.stringify(flags)}` });
    return { color, flags, restarted: running ? (live ? 'rolling' : 'all') : 'none' };
  } finally {
    await ctx.close();
  }
}
