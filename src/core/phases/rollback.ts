import { formatDuration } from '../../config/duration.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure, type PhaseOutcome } from '../engine/phase-outcome.ts';
import type { Color } from '../types.ts';
import { CutoverError } from '../errors.ts';
import { runHook } from '../engine/run-hook.ts';

/**
 * Puts live traffic back on `back` (scaling it up first if it was retired), proves it, then
 * retires `failed`: `rolled_back`. When there is nothing verified to go back to, traffic stays
 * where it is rather than moving to something unproven: `failed` (no previous release) or
 * `stranded` (one that would not become ready or healthy, with the command to run next).
 * @throws PhaseFailure when traffic was moved but the move could not be proven: the operation
 *   stays open (at its rollback phase) for `cutover resume` to try again.
 */
export async function rollback(ctx: OperationContext, back: Color | null, failed: Color, reason: string, options: { manual?: boolean } = {}): Promise<PhaseOutcome> {
  const { driver, verifier, settings } = ctx.deps;
  await ctx.beginPhase('rollback', `rolling back: ${reason}`);
  const version = back ? ctx.state.colors[back].version : null;
  if (!back || !version) {
    const why = `no previous release to return to; ${failed} keeps serving (${reason})`;
    await ctx.endPhase('failed', why);
    return { status: 'failed', reason: why };
  }
  const started = ctx.clock.now();
  // A progressive step leaves part of the traffic on `failed` while `back` stays live: end the split first.
  if (driver.endSplit && ctx.op.phases.some((p) => p.name === 'shift')) await driver.endSplit();
  const notes: string[] = [];
  const status = await statusOrRestart(ctx, notes);
  let partial = false;
  if (status.live !== back) {
    const current = status.colors[back];
    const live = status.live ? status.colors[status.live] : null;
    // A retired color may still run its release at a reduced count (scaleDown.replicas 1), all
    // Ready: it must still be scaled back up, and go through ready before it can be verified.
    const retired = ctx.state.colors[back].state === 'retired' || ctx.state.colors[back].state === 'failed';
    if (retired || current.version !== version || current.ready < current.desired || current.desired === 0) {
      ctx.deps.reporter.progress(`scaling ${back} (${version}) back up`);
      if (ctx.state.colors[back].state === 'retired' || ctx.state.colors[back].state === 'failed') ctx.setColor(back, 'provisioning');
      await driver.provision(back, { version }, ctx.state.flags[back]);
      // An emergency: `back` already has more ready replicas of its release than the live
      // color. Waiting for the rest first would keep users on the worse color; move now and
      // finish scaling afterwards.
      const liveReady = live?.ready ?? 0;
      partial = current.version === version && current.ready > liveReady;
      if (partial) {
        notes.push(`moved traffic to ${back} at ${current.ready}/${Math.max(current.desired, 1)} ready (live ${status.live ?? 'nothing'} had ${liveReady}/${live?.desired ?? 0})`);
      } else {
        try {
          await driver.waitReady(back, { timeoutMs: settings.provisionTimeoutMs });
        } catch (err) {
          return strand(ctx, back, failed, status.live, `${back} (${version}) did not become ready, and it has no more ready replicas than ${status.live ?? 'the live color'}: ${(err as Error).message}`);
        }
        notes.push(`scaled ${back} back up`);
      }
      if (ctx.state.colors[back].state === 'provisioning') ctx.setColor(back, 'ready');
    }
    const probe = await verifier.probe(await driver.targets(back), new AbortController().signal);
    if (!probe.ok) {
      return strand(ctx, back, failed, status.live, `${back} (${version}) failed its health probe, so traffic was not moved back to it: ${probe.summary}`);
    }
    if (ctx.state.colors[back].state !== 'verified' && ctx.state.colors[back].state !== 'live') ctx.setColor(back, 'verified');
    await driver.switchTraffic(back, { partial });
  }
  const proof = await driver.verifyTraffic(back, { partial });
  if (!proof.ok) throw new PhaseFailure(`traffic did not move back to ${back}: ${proof.detail}`);
  const backAt = ctx.clock.now() - started;
  ctx.state.live = back;
  if (ctx.state.colors[back].state !== 'live') ctx.setColor(back, 'live');
  await ctx.save();
  if (partial) {
    // Traffic is already back; the rest of the scale-up no longer decides the rollback.
    try {
      const ready = await driver.waitReady(back, { timeoutMs: settings.provisionTimeoutMs });
      notes.push(`${back} scaled up to ${ready.ready}/${ready.desired} ready`);
    } catch (err) {
      notes.push(`${back} serves with the replicas it has; the rest did not become ready: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await driver.retire(failed).catch((err: Error) => notes.push(`could not stop ${failed}: ${err.message}`));
  // A person's `cutover rollback` says nothing against the release rolled away from: it is
  // retired, not failed (it may be deployed again as it is).
  const rolledAway = options.manual ? 'retired' : 'failed';
  if (['live', 'verified', 'ready', 'provisioning'].includes(ctx.state.colors[failed].state)) ctx.setColor(failed, rolledAway);
  notes.push(`traffic back on ${back} (${version}) in ${formatDuration(backAt)}`, proof.detail, `${failed} ${rolledAway === 'failed' ? 'stopped' : 'retired'}`);
  await runHook(ctx, 'onRollback', back, reason);
  const evidence = { backMs: backAt, proof };
  await ctx.endPhase('succeeded', notes.join('; '), evidence);
  return { status: 'rolled_back', reason, evidence };
}

/**
 * The platform's status; when the platform itself is gone (the local daemon was killed during
 * the bake window), it is started again from its own record first, so that the rollback still
 * ends with traffic on a verified color and nobody has to run `cutover up` and `resume`.
 */
async function statusOrRestart(ctx: OperationContext, notes: string[]) {
  const { driver } = ctx.deps;
  try {
    return await driver.status();
  } catch (err) {
    if (!(err instanceof CutoverError) || err.code !== 'unreachable' || !driver.restartPlatform) throw err;
    ctx.deps.reporter.progress(`the platform is unreachable (${err.message}); starting it again`);
    notes.push(await driver.restartPlatform());
    return driver.status();
  }
}

/**
 * Nothing healthier to go back to: traffic stays where it is (moving it to unready pods would
 * make things worse). Records why and the next command to run, and reports `stranded`.
 */
async function strand(ctx: OperationContext, back: Color, failed: Color, live: Color | null, why: string): Promise<PhaseOutcome> {
  const next = `fix ${back} (kubectl describe / \`cutover logs --color ${back}\`) and run \`cutover rollback\` again, or \`cutover deploy <version>\` of a release that works`;
  const reason = `${why}; traffic stays on ${live ?? failed}`;
  await ctx.endPhase('failed', `${reason}; next: ${next}`);
  return { status: 'stranded', reason, next };
}
