import type { OperationContext } from '../engine/operation-context.ts';

const HOLD_POLL_MS = 250;

export type HoldDecision = 'promote' | 'rollback';

/**
 * The policy's "hold and alert": records the running phase as waiting with `reason`, warns
 * loudly, tells the webhooks, then waits (traffic unchanged) until someone runs
 * `cutover promote` (carry on) or `cutover rollback` / `cutover abort` (roll back).
 * The phase record stays open, so the caller closes it with the outcome.
 */
export async function holdForDecision(ctx: OperationContext, stage: string, reason: string, data?: unknown): Promise<HoldDecision> {
  await ctx.forgetSignal('promote');
  const message = `HOLDING: ${reason}. Traffic stays as it is until someone runs \`cutover promote\` to carry on or \`cutover rollback\` to roll back`;
  await ctx.endPhase('waiting', message, data);
  ctx.deps.reporter.warn(message);
  ctx.notifyVerdict(stage, 'hold', reason);
  for (;;) {
    if (ctx.hasSignal('rollback') || ctx.abort.signal.aborted) return 'rollback';
    if (ctx.hasSignal('promote')) return 'promote';
    await ctx.clock.sleep(HOLD_POLL_MS, ctx.abort.signal);
  }
}
