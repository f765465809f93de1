import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure } from '../engine/phase-outcome.ts';
import type { Color } from '../types.ts';
import { provisionEvents, unstable } from './verify.ts';

/**
 * Moves live traffic to `color` and proves it moved. Refuses a color that is not fully ready or
 * fails a last health probe, so traffic never points at something unverified, even on resume
 * after the process died between verify and here.
 */
export async function switchTraffic(ctx: OperationContext, color: Color): Promise<void> {
  const { driver, verifier } = ctx.deps;
  await ctx.beginPhase('switch', `moving live traffic to ${color}`);
  const status = (await driver.status()).colors[color];
  if (status.crashLooping || status.desired === 0 || status.ready < status.desired) {
    throw new PhaseFailure(`${color} is not ready to take traffic (${status.ready}/${status.desired} ready${status.crashLooping ? ', crash-looping' : ''}${status.detail ? `: ${status.detail}` : ''})`);
  }
  const probe = await verifier.probe(await driver.targets(color), ctx.abort.signal);
  if (!probe.ok) throw new PhaseFailure(`${color} failed its last health probe before the switch: ${probe.summary}`);
  const why = await unstable(provisionEvents(ctx, color), ctx, color);
  if (why) throw new PhaseFailure(`${color} is not stable, refusing to switch: ${why}`);
  const from = ctx.state.live;
  if (ctx.baselineRecorder) {
    ctx.trafficBaseline = await ctx.baselineRecorder.stop();
    ctx.baselineRecorder = null;
  }
  const result = await driver.switchTraffic(color);
  const proof = await driver.verifyTraffic(color);
  if (!proof.ok) throw new PhaseFailure(`traffic did not move to ${color}: ${proof.detail}`, { proof });
  ctx.state.live = color;
  ctx.setColor(color, 'live');
  if (from && from !== color && ctx.state.colors[from].state === 'live') ctx.setColor(from, 'verified');
  await ctx.endPhase('succeeded', `switched in ${formatDuration(result.durationMs)}; ${proof.detail}`, { switchMs: result.durationMs, proof });
}
