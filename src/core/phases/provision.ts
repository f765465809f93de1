import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../operations/operation-context.ts';
import { PhaseFailure } from '../operations/operation-context.ts';
import type { Color } from '../types.ts';

/** Starts `version` on `color` (idempotent) and waits until every replica is ready. */
export async function provision(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { driver, settings } = ctx.deps;
  await ctx.beginPhase('provision', `starting ${version} on ${color}`);
  if (!ctx.state.releases.includes(version)) ctx.state.releases.push(version);
  ctx.setColor(color, 'provisioning', version);
  ctx.state.colors[color].deployedSeq = ctx.state.releases.lastIndexOf(version);
  await ctx.save();
  try {
    await driver.provision(color, { version }, ctx.state.flags[color]);
    const ready = await driver.waitReady(color, { timeoutMs: settings.provisionTimeoutMs, signal: ctx.abort.signal });
    ctx.setColor(color, 'ready');
    await ctx.endPhase('succeeded', `${ready.ready}/${ready.desired} replicas of ${version} ready on ${color} in ${formatDuration(ready.durationMs)}`);
  } catch (err) {
    ctx.setColor(color, 'failed');
    throw new PhaseFailure((err as Error).message);
  }
}
