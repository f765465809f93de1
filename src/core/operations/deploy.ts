import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { OperationContext, PhaseFailure } from '../engine/operation-context.ts';
import { resultFrom, type OperationResult } from '../engine/operation-result.ts';
import { recordDisagreement } from './rebuild-record.ts';
import { chooseReleaseFlags } from './release-flags.ts';
import { gate } from '../phases/gate.ts';
import { migrateExpand } from '../phases/migrate-expand.ts';
import { monitor } from '../phases/monitor.ts';
import { preflight } from '../phases/preflight.ts';
import { provision } from '../phases/provision.ts';
import { retire } from '../phases/retire.ts';
import { rollback } from '../phases/rollback.ts';
import { progressiveShift } from '../phases/shift.ts';
import { switchTraffic } from '../phases/switch.ts';
import { otherColor, type OperationOptions, type Outcome, type PhaseName } from '../types.ts';
import { verify } from '../phases/verify.ts';
import { runHook } from '../engine/run-hook.ts';

/** Where a deploy (re)starts: a fresh deploy at preflight, a resume wherever reality allows. */
export type DeployEntry = 'preflight' | 'provision' | 'gate' | 'shift' | 'switch' | 'monitor' | 'retire' | 'rollback';

/** `cutover deploy <version>`: every phase from preflight to retire, rolling back on any failure after the switch. */
export async function deploy(deps: CoreDeps, version: string, options: OperationOptions): Promise<OperationResult> {
  const ctx = await OperationContext.open(deps, `deploy ${version}`);
  try {
    await refuseWhenRecordIsWrong(ctx);
    const target = ctx.state.live ? otherColor(ctx.state.live) : (await deps.driver.firstColor?.()) ?? 'blue';
    const chosen = ctx.state.operation ? null : chooseReleaseFlags(ctx.state, target, options.flagsFrom ?? 'auto', deps.settings.defaultFlags ?? {});
    if (chosen) ctx.state.flags[target] = chosen.flags;
    await ctx.begin('deploy', version, target, options);
    if (chosen) {
      const text = `flags for ${version} on ${target}: ${JSON.stringify(chosen.flags)}, ${chosen.reason}`;
      deps.reporter.info(text);
    }
    const result = await driveDeploy(ctx, 'preflight');
    return chosen ? { ...result, flags: { source: chosen.source, values: chosen.flags, reason: chosen.reason } } : result;
  } finally {
    await ctx.close();
  }
}

/**
 * The idle color is chosen from the record. When the record lost track of what serves traffic
 * (state.json deleted or restored from an old backup), the "idle" color may be the one serving
 * users: provisioning there would replace the live release with an unverified one. Refuse.
 */
async function refuseWhenRecordIsWrong(ctx: OperationContext): Promise<void> {
  if (ctx.state.operation) return; // begin() explains the unfinished operation
  const platform = await ctx.deps.driver.status().catch(() => null); // unreachable: preflight reports it
  const disagreement = platform && recordDisagreement(await ctx.deps.store.load(), platform);
  if (disagreement) {
    throw new CutoverError('refused', `${disagreement}. Deploying now could replace the release that serves traffic; run \`cutover doctor --fix\` (or \`cutover resume\`) to rebuild the record from the platform, then deploy again`, { details: { platform: platform.live } });
  }
}

/**
 * Runs a deploy from `entry` to the end. Before the switch a failure just ends the operation
 * (live traffic was never touched) and stops the new color; from the switch on, a failure
 * always goes through rollback.
 */
export async function driveDeploy(ctx: OperationContext, entry: DeployEntry, rollbackReason = 'resuming an interrupted rollback'): Promise<OperationResult> {
  const op = ctx.op;
  const version = op.version!;
  const target = op.target;
  const from = op.from;
  const order: DeployEntry[] = ['preflight', 'provision', 'gate', 'shift', 'switch', 'monitor', 'retire', 'rollback'];
  const at = (phase: DeployEntry) => order.indexOf(entry) <= order.indexOf(phase);

  if (entry !== 'rollback') {
    try {
      if (at('preflight')) {
        await preflight(ctx, op.options.force ?? false);
        await migrateExpand(ctx, version);
      }
      if (at('provision')) {
        await runHook(ctx, 'beforeProvision', target);
        await provision(ctx, target, version);
        await verify(ctx, target, version);
        await runHook(ctx, 'afterVerify', target);
      }
      if (at('gate')) {
        if ((await gate(ctx, target, version)) === 'wait') {
          await ctx.suspend();
          return resultFrom(ctx.state, op, 'waiting', `${version} verified on ${target}; waiting for \`cutover promote\``);
        }
      }
    } catch (err) {
      return endBeforeSwitch(ctx, err);
    }
  }

  let reason: string | null = entry === 'rollback' ? rollbackReason : null;
  if (!reason && at('switch')) {
    try {
      await runHook(ctx, 'beforeSwitch', target);
    } catch (err) {
      return endBeforeSwitch(ctx, err);
    }
  }
  if (!reason) {
    try {
      const progressive = ctx.deps.settings.progressive;
      if (at('shift') && progressive) await progressiveShift(ctx, target, version, progressive);
      if (at('switch')) {
        await switchTraffic(ctx, target);
        await runHook(ctx, 'afterSwitch', target);
      }
      if (at('monitor')) {
        await monitor(ctx, target, version);
        await runHook(ctx, 'afterBake', target);
      }
      if (at('retire')) await retire(ctx, from, { delay: true });
    } catch (err) {
      reason = await closePhase(ctx, err);
    }
  }
  if (!reason) {
    await ctx.finish('promoted', `${version} is live on ${target}`);
    return resultFrom(ctx.state, op, 'promoted', `${version} is live on ${target}`);
  }
  const back = await rollback(ctx, from, target, reason);
  const outcome: Outcome = back ? (ctx.abort.signal.aborted ? 'aborted' : 'rolled_back') : ctx.stranded ? 'stranded' : 'failed';
  const message = back ? `rolled back to ${from} (${ctx.state.colors[from!].version}): ${reason}` : `could not roll back: ${reason}`;
  await ctx.finish(outcome, message);
  const result = resultFrom(ctx.state, op, outcome, message);
  return ctx.stranded ? { ...result, next: ctx.stranded.next } : result;
}

/** Ends an operation that never moved traffic (e.g. `cutover abort` of an orphan before its switch). */
export function abandon(ctx: OperationContext, reason: string): Promise<OperationResult> {
  return endBeforeSwitch(ctx, new PhaseFailure(reason));
}

/** Nothing touched live traffic: record the failure, stop the new color, end the operation. */
async function endBeforeSwitch(ctx: OperationContext, err: unknown): Promise<OperationResult> {
  const op = ctx.op;
  const reason = await closePhase(ctx, err);
  const aborted = ctx.abort.signal.aborted || /declined/.test(reason);
  const live = ctx.state.live;
  // Only a color this operation started on is stopped and marked failed: a deploy refused at
  // preflight changed nothing in the platform, so the record must not say otherwise.
  if (op.target !== live && op.phases.some((p) => p.name === 'provision')) {
    await ctx.deps.driver.retire(op.target).catch(() => {});
    const record = ctx.state.colors[op.target];
    if (record.state !== 'failed' && record.state !== 'retired' && record.state !== 'empty') ctx.setColor(op.target, 'failed');
  }
  const outcome: Outcome = aborted ? 'aborted' : 'failed';
  const message = `${op.version} was not promoted: ${reason}; ${live ? `${live} (${ctx.state.colors[live].version}) still serves traffic` : 'nothing is live'}`;
  await ctx.finish(outcome, message);
  return resultFrom(ctx.state, op, outcome, message);
}

/**
 * Closes the phase that was running when `err` happened and returns the reason for people.
 * Even an unexpected error (a bug) ends the phase and goes through the normal failure path,
 * so a release is never stranded with traffic half-moved; the error is still reported.
 */
async function closePhase(ctx: OperationContext, err: unknown): Promise<string> {
  if (!(err instanceof PhaseFailure) && !(err instanceof CutoverError)) {
    ctx.deps.reporter.warn(`unexpected error, treating the phase as failed: ${(err as Error)?.stack ?? String(err)}`);
    err = new PhaseFailure(`unexpected error: ${(err as Error)?.message ?? String(err)}`);
  }
  const failure = err as PhaseFailure | CutoverError;
  const reason = ctx.abort.signal.aborted && !(failure instanceof PhaseFailure && /rollback|abort/.test(failure.message)) ? `aborted (${failure.message})` : failure.message;
  if (ctx.inPhase) await ctx.endPhase('failed', reason, failure instanceof PhaseFailure ? failure.data : undefined);
  return reason;
}

/** Maps a phase name recorded in the state to where a resume re-enters. */
export function resumeEntry(phase: PhaseName, trafficOnTarget: boolean): DeployEntry {
  switch (phase) {
    case 'preflight':
    case 'migrate-expand':
      return 'preflight';
    case 'provision':
    case 'verify':
    case 'gate':
      // Verification from a dead process is stale: prove the color again before it can take traffic.
      return trafficOnTarget ? 'switch' : 'provision';
    case 'shift':
      // A partial split from a dead process was never proven at 100%: send everyone back.
      return 'rollback';
    case 'switch':
      return 'switch';
    case 'monitor':
      return 'monitor';
    case 'retire':
      return 'retire';
    case 'rollback':
      return 'rollback';
  }
}
