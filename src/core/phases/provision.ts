import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure } from '../engine/phase-outcome.ts';
import { DEFAULT_GUARDRAILS } from '../guardrails/config-schema.ts';
import { TrafficBaselineRecorder } from '../guardrails/traffic-baseline.ts';
import type { Color } from '../types.ts';

/** Starts `version` on `color` (idempotent) and waits until every replica is ready. */
export async function provision(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { driver, settings } = ctx.deps;
  await ctx.beginPhase('provision', `starting ${version} on ${color}`);
  if (!ctx.state.releases.includes(version)) ctx.state.releases.push(version);
  ctx.setColor(color, 'provisioning', version);
  ctx.state.colors[color].deployedSeq = ctx.state.releases.lastIndexOf(version);
  await ctx.save();
  startTrafficBaseline(ctx, color);
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

/** From now to the switch, the live color's traffic is the baseline the bake window compares with. */
function startTrafficBaseline(ctx: OperationContext, color: Color): void {
  const { traffic, settings } = ctx.deps;
  const guard = settings.guardrails ?? DEFAULT_GUARDRAILS;
  const live = ctx.state.live;
  if (!traffic || !guard.traffic.enabled || !live || live === color || ctx.baselineRecorder) return;
  ctx.baselineRecorder = new TrafficBaselineRecorder(traffic, live, ctx.clock, settings.monitor.intervalMs, guard.traffic.latency.minRequestsPerReading).start();
}
