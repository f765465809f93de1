import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../operations/operation-context.ts';
import { PhaseFailure } from '../operations/operation-context.ts';
import type { Color } from '../types.ts';
import { runHook } from '../operations/run-hook.ts';

/**
 * Puts live traffic back on `back` (scaling it up first if it was retired), proves it, then
 * retires `failed`. Returns false when there is nothing verified to go back to, in which case
 * traffic stays where it is rather than moving to something unproven.
 */
export async function rollback(ctx: OperationContext, back: Color | null, failed: Color, reason: string): Promise<boolean> {
  const { driver, verifier, settings } = ctx.deps;
  await ctx.beginPhase('rollback', `rolling back: ${reason}`);
  const version = back ? ctx.state.colors[back].version : null;
  if (!back || !version) {
    await ctx.endPhase('failed', `no previous release to return to; ${failed} keeps serving (${reason})`);
    return false;
  }
  const started = ctx.clock.now();
  // A progressive step leaves part of the traffic on `failed` while `back` stays live: end the split first.
  if (driver.endSplit && ctx.op.phases.some((p) => p.name === 'shift')) await driver.endSplit();
  const status = await driver.status();
  const notes: string[] = [];
  if (status.live !== back) {
    const current = status.colors[back];
    if (current.version !== version || current.ready < current.desired || current.desired === 0) {
      ctx.deps.reporter.progress(`scaling ${back} (${version}) back up`);
      if (ctx.state.colors[back].state === 'retired' || ctx.state.colors[back].state === 'failed') ctx.setColor(back, 'provisioning');
      await driver.provision(back, { version }, ctx.state.flags[back]);
      await driver.waitReady(back, { timeoutMs: settings.provisionTimeoutMs });
      if (ctx.state.colors[back].state === 'provisioning') ctx.setColor(back, 'ready');
      notes.push(`scaled ${back} back up`);
    }
    const probe = await verifier.probe(await driver.targets(back), new AbortController().signal);
    if (!probe.ok) {
      await ctx.endPhase('failed', `${back} (${version}) failed its health probe, so traffic was not moved back to it: ${probe.summary}`);
      return false;
    }
    if (ctx.state.colors[back].state !== 'verified' && ctx.state.colors[back].state !== 'live') ctx.setColor(back, 'verified');
    await driver.switchTraffic(back);
  }
  const proof = await driver.verifyTraffic(back);
  if (!proof.ok) throw new PhaseFailure(`traffic did not move back to ${back}: ${proof.detail}`);
  const backAt = ctx.clock.now() - started;
  ctx.state.live = back;
  if (ctx.state.colors[back].state !== 'live') ctx.setColor(back, 'live');
  await driver.retire(failed).catch((err: Error) => notes.push(`could not stop ${failed}: ${err.message}`));
  if (['live', 'verified', 'ready', 'provisioning'].includes(ctx.state.colors[failed].state)) ctx.setColor(failed, 'failed');
  notes.push(`traffic back on ${back} (${version}) in ${formatDuration(backAt)}`, proof.detail, `${failed} stopped`);
  await runHook(ctx, 'onRollback', back, reason);
  await ctx.endPhase('succeeded', notes.join('; '), { backMs: backAt, proof });
  return true;
}
