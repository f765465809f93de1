import type { OperationContext } from '../engine/operation-context.ts';
import { declined, SUCCEEDED, type PhaseOutcome } from '../engine/phase-outcome.ts';
import type { Color } from '../types.ts';

const PROMOTE_POLL_MS = 250;

/**
 * Decides whether to switch now. `auto` passes; `--no-switch` stops here and leaves the
 * operation `waiting` for `cutover promote`; `manual` asks on a TTY, or waits for `promote`.
 * A "no" at the prompt, or an abort while waiting, is a `declined` stop.
 */
export async function gate(ctx: OperationContext, color: Color, version: string): Promise<PhaseOutcome> {
  const { settings, gate: prompt, reporter } = ctx.deps;
  const options = ctx.op.options;
  await ctx.beginPhase('gate', `deciding whether to switch traffic to ${color}`);
  if (ctx.op.promoted || ctx.hasSignal('promote')) {
    await ctx.endPhase('succeeded', 'released by cutover promote');
    return SUCCEEDED;
  }
  if (options.noSwitch) {
    await ctx.endPhase('waiting', `--no-switch: ${version} is verified on ${color}; run \`cutover promote\` to switch or \`cutover abort\``);
    return { status: 'waiting', reason: `${version} verified on ${color}; waiting for \`cutover promote\`` };
  }
  if (options.yes || (settings.gate === 'auto' && !prompt.interactive)) {
    await ctx.endPhase('succeeded', options.yes ? 'promoted automatically (--yes)' : 'promoted automatically');
    return SUCCEEDED;
  }
  if (prompt.interactive) {
    // Either the person answers here or someone runs `cutover promote` elsewhere.
    const released = waitForPromote(ctx);
    const answer = await Promise.race([prompt.confirm(`Switch live traffic to ${color} (${version})?`, ctx.abort.signal), released.then(() => true)]);
    released.cancel();
    if (!answer) throw declined('switch declined at the prompt');
    await ctx.endPhase('succeeded', 'confirmed');
    return SUCCEEDED;
  }
  reporter.info(`waiting for \`cutover promote\` to switch traffic to ${color}`);
  const released = waitForPromote(ctx);
  await released;
  if (ctx.abort.signal.aborted) throw declined('aborted while waiting at the gate');
  await ctx.endPhase('succeeded', 'released by cutover promote');
  return SUCCEEDED;
}

/** Resolves once `promote` is seen or the operation is aborted, polling on the operation's clock; `cancel` ends the wait. */
function waitForPromote(ctx: OperationContext): Promise<void> & { cancel(): void } {
  const stop = new AbortController();
  const promise = (async () => {
    while (!stop.signal.aborted) {
      if (ctx.hasSignal('promote') || ctx.abort.signal.aborted) return;
      await ctx.clock.sleep(PROMOTE_POLL_MS, stop.signal);
    }
  })() as Promise<void> & { cancel(): void };
  promise.cancel = () => stop.abort();
  return promise;
}
