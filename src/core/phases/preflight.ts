import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure } from '../engine/phase-outcome.ts';

/** Checks that nothing is wrong before anything changes: the platform answers, the live color is healthy, migrations lint clean. */
export async function preflight(ctx: OperationContext, force: boolean): Promise<void> {
  const { driver, verifier, migrations, settings } = ctx.deps;
  await ctx.beginPhase('preflight', 'checking the platform, the live color and migrations');
  const notes: string[] = [];
  try {
    const version = ctx.op.version;
    const problems = version && driver.releaseProblems ? await driver.releaseProblems({ version }) : [];
    if (problems.length) throw new PhaseFailure(`${version} cannot start: ${problems.join('; ')}`);
    const status = await driver.status();
    const live = ctx.state.live;
    if (live) {
      if (status.live !== live) {
        notes.push(`platform routes to ${status.live ?? 'nothing'} while cutover recorded ${live} as live`);
      }
      const targets = await driver.targets(live);
      const probe = await verifier.probe(targets, ctx.abort.signal);
      if (!probe.ok && settings.requireHealthyLive && !force) {
        throw new PhaseFailure(`the live color ${live} is not healthy (${probe.summary}); fix it or pass --force to deploy anyway`);
      }
      notes.push(probe.ok ? `live ${live} healthy` : `live ${live} unhealthy (${probe.summary}), continuing because of --force`);
    } else {
      notes.push('no live color yet: first deploy');
    }
    if (migrations) {
      const lint = await migrations.lint();
      if (!lint.ok) throw new PhaseFailure(`migration lint found errors: ${lint.summary}`, lint.data);
      notes.push(`migrations lint: ${lint.summary}`);
    }
  } catch (err) {
    if (err instanceof PhaseFailure) throw err;
    throw new PhaseFailure((err as Error).message);
  }
  await ctx.endPhase('succeeded', notes.join('; '));
}
