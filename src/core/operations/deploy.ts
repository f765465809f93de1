import { CutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import { OperationContext } from '../engine/operation-context.ts';
import type { OperationResult } from '../engine/operation-result.ts';
import { runDeploy } from '../engine/run-phases.ts';
import { recordDisagreement } from './record-disagreement.ts';
import { chooseReleaseFlags } from './release-flags.ts';
import { otherColor, type OperationOptions } from '../types.ts';

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
    const result = await runDeploy(ctx, 'preflight');
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
