import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { gate } from '../phases/gate.ts';
import { migrateExpand } from '../phases/migrate-expand.ts';
import { monitor } from '../phases/monitor.ts';
import { preflight } from '../phases/preflight.ts';
import { provision } from '../phases/provision.ts';
import { retire } from '../phases/retire.ts';
import { rollback } from '../phases/rollback.ts';
import { rollbackPreflight } from '../phases/rollback-preflight.ts';
import { progressiveShift } from '../phases/shift.ts';
import { switchTraffic } from '../phases/switch.ts';
import { verify } from '../phases/verify.ts';
import { trafficMayHaveMoved } from '../transitions.ts';
import { otherColor, type Outcome, type PhaseName } from '../types.ts';
import { OperationContext } from './operation-context.ts';
import { resultFrom, type OperationResult } from './operation-result.ts';
import { declined, PhaseFailure, SUCCEEDED, type PhaseOutcome } from './phase-outcome.ts';
import { runHook } from './run-hook.ts';

/**
 * The engine: the one place that runs an operation's phases (deploy, promote, rollback, resume,
 * abort) and decides, from each phase's PhaseOutcome, what happens next. The verbs in
 * core/operations/ only open the context, begin the operation and call in here.
 */

/** Where a deploy (re)starts: a fresh deploy at preflight, a resume wherever reality allows. */
export type DeployEntry = 'preflight' | 'provision' | 'gate' | 'shift' | 'switch' | 'monitor' | 'retire' | 'rollback';

/** A phase (or a run of phases) stopped the release. */
type Stop = Extract<PhaseOutcome, { status: 'failed' | 'declined' }>;

/**
 * Runs a deploy from `entry` to the end. Before the switch a failure just ends the operation
 * (live traffic was never touched) and stops the new color; from the switch on, a failure
 * always goes through rollback.
 */
export async function runDeploy(ctx: OperationContext, entry: DeployEntry, rollbackReason = 'resuming an interrupted rollback'): Promise<OperationResult> {
  const op = ctx.op;
  const version = op.version!;
  const target = op.target;
  const from = op.from;
  const order: DeployEntry[] = ['preflight', 'provision', 'gate', 'shift', 'switch', 'monitor', 'retire', 'rollback'];
  const at = (phase: DeployEntry) => order.indexOf(entry) <= order.indexOf(phase);

  if (entry !== 'rollback') {
    const before = await settle(ctx, async () => {
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
      if (at('gate')) return gate(ctx, target, version);
    });
    if (before.status === 'waiting') {
      await ctx.suspend();
      return resultFrom(ctx.state, op, 'waiting', before.reason);
    }
    if (isStop(before)) return endBeforeSwitch(ctx, before);
  }

  let after: PhaseOutcome = entry === 'rollback' ? { status: 'failed', reason: rollbackReason } : SUCCEEDED;
  if (after.status === 'succeeded' && at('switch')) {
    const hook = await settle(ctx, () => runHook(ctx, 'beforeSwitch', target));
    if (isStop(hook)) return endBeforeSwitch(ctx, hook);
  }
  if (after.status === 'succeeded') {
    after = await settle(ctx, async () => {
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
    });
  }
  if (!isStop(after)) {
    await ctx.finish('promoted', `${version} is live on ${target}`);
    return resultFrom(ctx.state, op, 'promoted', `${version} is live on ${target}`);
  }
  const reason = after.reason;
  // A rollback that moved traffic but could not prove it throws: the operation stays open
  // at its rollback phase for `cutover resume`.
  const back = await rollback(ctx, from, target, reason);
  const outcome: Outcome = back.status === 'rolled_back' ? (ctx.abort.signal.aborted ? 'aborted' : 'rolled_back') : back.status === 'stranded' ? 'stranded' : 'failed';
  const message = back.status === 'rolled_back' ? `rolled back to ${from} (${ctx.state.colors[from!].version}): ${reason}` : `could not roll back: ${reason}`;
  await ctx.finish(outcome, message);
  const result = resultFrom(ctx.state, op, outcome, message);
  return back.status === 'stranded' ? { ...result, next: back.next } : result;
}

/**
 * The phases of a standalone rollback: preflight (migration safety), then the rollback itself.
 * @throws CutoverError('refused') when the preflight refuses (the operation is ended as failed).
 */
export async function runRollback(ctx: OperationContext): Promise<OperationResult> {
  const op = ctx.op;
  const back = op.target;
  const failed = otherColor(back);
  const checked = await settle(ctx, () => rollbackPreflight(ctx));
  if (isStop(checked)) {
    await ctx.finish('failed', checked.reason);
    throw new CutoverError('refused', checked.reason);
  }
  const moved = await rollback(ctx, back, failed, 'requested with `cutover rollback`', { manual: true });
  if (moved.status === 'stranded') {
    const message = `rollback to ${back} could not move traffic: traffic stays on ${failed}`;
    await ctx.finish('stranded', message);
    return { ...resultFrom(ctx.state, op, 'stranded', message), next: moved.next };
  }
  const ok = moved.status === 'rolled_back';
  const message = ok ? `${op.version} is live again on ${back}` : `rollback to ${back} failed`;
  await ctx.finish(ok ? 'rolled_back' : 'failed', message);
  return resultFrom(ctx.state, op, ok ? 'rolled_back' : 'failed', message);
}

/**
 * Finishes, or rolls back, an operation found in the state whose process died (`cutover
 * resume`, intent `finish`), or undoes it (`cutover abort` / `cutover rollback` of an orphan,
 * intent `abort`). Reality (where the platform sends traffic now) decides where to re-enter,
 * never the record alone. Returns null when there is no operation.
 */
export async function continueOperation(deps: CoreDeps, intent: 'finish' | 'abort'): Promise<OperationResult | null> {
  const ctx = await OperationContext.open(deps, intent === 'abort' ? 'abort' : 'resume');
  try {
    const op = ctx.state.operation;
    if (!op) return null;
    ctx.adopt();
    const platform = await deps.driver.status();
    const trafficOnTarget = platform.live === op.target && op.from !== op.target;
    if (intent === 'abort') {
      if (ctx.state.live !== platform.live && platform.live) ctx.state.live = platform.live;
      ctx.abort.abort();
      if (trafficOnTarget || trafficMayHaveMoved(op.phase)) return await runDeploy(ctx, 'rollback', 'aborted with `cutover abort`');
      return await abandon(ctx, 'aborted with `cutover abort`');
    }
    if (op.kind === 'rollback') return await runRollback(ctx);
    if (op.kind !== 'deploy') {
      // flags, maintenance and finalize are single steps: rerunning them is the caller's choice.
      await ctx.finish('failed', `${op.kind} was interrupted; run it again`);
      return resultFrom(ctx.state, op, 'failed', `${op.kind} was interrupted; run it again`);
    }
    const last = op.phases.at(-1);
    if (op.phase === 'gate' && last?.status === 'waiting') {
      return resultFrom(ctx.state, op, 'waiting', `${op.version} is waiting at the gate; run \`cutover promote\` or \`cutover abort\``);
    }
    // If the process died mid-switch, the record may not say live yet while the platform does.
    if (trafficOnTarget && ctx.state.live !== op.target) {
      ctx.state.live = platform.live;
    }
    const entry = resumeEntry(op.phase, trafficOnTarget);
    return await runDeploy(ctx, entry, op.phase === 'shift' ? `a progressive step of ${op.version} was interrupted` : undefined);
  } finally {
    await ctx.close();
  }
}

/** Ends an operation that never moved traffic (e.g. `cutover abort` of an orphan before its switch). */
async function abandon(ctx: OperationContext, reason: string): Promise<OperationResult> {
  return endBeforeSwitch(ctx, await closePhase(ctx, declined(reason)));
}

/** Nothing touched live traffic: record the failure, stop the new color, end the operation. */
async function endBeforeSwitch(ctx: OperationContext, stop: Stop): Promise<OperationResult> {
  const op = ctx.op;
  const live = ctx.state.live;
  // Only a color this operation started on is stopped and marked failed: a deploy refused at
  // preflight changed nothing in the platform, so the record must not say otherwise.
  if (op.target !== live && op.phases.some((p) => p.name === 'provision')) {
    await ctx.deps.driver.retire(op.target).catch(() => {});
    const record = ctx.state.colors[op.target];
    if (record.state !== 'failed' && record.state !== 'retired' && record.state !== 'empty') ctx.setColor(op.target, 'failed');
  }
  const outcome: Outcome = ctx.abort.signal.aborted || stop.status === 'declined' ? 'aborted' : 'failed';
  const message = `${op.version} was not promoted: ${stop.reason}; ${live ? `${live} (${ctx.state.colors[live].version}) still serves traffic` : 'nothing is live'}`;
  await ctx.finish(outcome, message);
  return resultFrom(ctx.state, op, outcome, message);
}

/** Runs phases and turns how they ended (returned, or thrown) into a PhaseOutcome. */
async function settle(ctx: OperationContext, step: () => Promise<PhaseOutcome | void>): Promise<PhaseOutcome> {
  try {
    return (await step()) ?? SUCCEEDED;
  } catch (err) {
    return closePhase(ctx, err);
  }
}

function isStop(outcome: PhaseOutcome): outcome is Stop {
  return outcome.status === 'failed' || outcome.status === 'declined';
}

/**
 * Closes the phase that was running when `err` happened and returns the stop with its reason for
 * people. Even an unexpected error (a bug) ends the phase and goes through the normal failure
 * path, so a release is never stranded with traffic half-moved; the error is still reported.
 * A failure during `cutover abort` says so, unless it was the person's own request.
 */
async function closePhase(ctx: OperationContext, err: unknown): Promise<Stop> {
  if (!(err instanceof PhaseFailure) && !(err instanceof CutoverError)) {
    ctx.deps.reporter.warn(`unexpected error, treating the phase as failed: ${(err as Error)?.stack ?? String(err)}`);
    err = new PhaseFailure(`unexpected error: ${(err as Error)?.message ?? String(err)}`);
  }
  const failure = err as PhaseFailure | CutoverError;
  const status = failure instanceof PhaseFailure ? failure.stop : 'failed';
  const evidence = failure instanceof PhaseFailure ? failure.data : undefined;
  const reason = ctx.abort.signal.aborted && status !== 'declined' ? `aborted (${failure.message})` : failure.message;
  if (ctx.inPhase) await ctx.endPhase('failed', reason, evidence);
  return { status, reason, evidence };
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
