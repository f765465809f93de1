import type { OperationContext } from '../operations/operation-context.ts';
import { PhaseFailure } from '../operations/operation-context.ts';
import type { Color } from '../types.ts';

/**
 * Proves the idle color before it may take traffic: health checks against every replica, smoke
 * tests and pre-promotion analysis against the preview address. Live traffic is untouched.
 */
export async function verify(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { driver, verifier, analysis } = ctx.deps;
  await ctx.beginPhase('verify', `checking ${version} on ${color} through its preview address`);
  const evidence: Record<string, unknown> = {};
  const targets = await driver.targets(color);
  const health = await verifier.health(targets, ctx.abort.signal);
  evidence.health = health.data ?? health.summary;
  if (!health.ok) return fail(ctx, color, `health checks failed: ${health.summary}`, evidence);
  ctx.deps.reporter.progress(`health: ${health.summary}`);
  const smoke = await verifier.smoke(targets, ctx.abort.signal, { color, version });
  evidence.smoke = smoke.data ?? smoke.summary;
  if (!smoke.ok) return fail(ctx, color, `smoke tests failed: ${smoke.summary}`, evidence);
  const notes = [`health: ${health.summary}`, `smoke: ${smoke.summary}`];
  if (analysis?.pre) {
    const from = ctx.op.from;
    const baseline = from && ctx.state.colors[from].version ? { color: from, version: ctx.state.colors[from].version! } : null;
    const report = await analysis.pre({ app: ctx.state.app, color, version, baseline, targets }, ctx.abort.signal);
    evidence.analysis = report.data ?? report.summary;
    ctx.notifyVerdict('pre-promotion', report.verdict, report.summary);
    if (report.verdict === 'failed') return fail(ctx, color, `pre-promotion analysis failed: ${report.summary}`, evidence);
    notes.push(`analysis: ${report.verdict} (${report.summary})`);
  }
  if (ctx.abort.signal.aborted) throw new PhaseFailure('aborted');
  ctx.setColor(color, 'verified');
  await ctx.endPhase('succeeded', notes.join('; '), evidence);
}

async function fail(ctx: OperationContext, color: Color, message: string, evidence: unknown): Promise<never> {
  ctx.setColor(color, 'failed');
  throw new PhaseFailure(message, evidence);
}
