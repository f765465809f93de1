import type { OperationContext } from '../engine/operation-context.ts';
import { declined, PhaseFailure } from '../engine/phase-outcome.ts';
import { phaseTimes } from '../guardrails/phase-times.ts';
import { describeEvent, ReplicaEventWatch } from '../guardrails/replica-event-watch.ts';
import type { Color } from '../types.ts';

/**
 * Proves the idle color before it may take traffic: health checks against every replica, then
 * stability (probes keep passing for `health.stableFor` and no replica exits or restarts from
 * provision on), smoke tests and pre-promotion analysis against the preview address. Live
 * traffic is untouched.
 */
export async function verify(ctx: OperationContext, color: Color, version: string): Promise<void> {
  const { driver, verifier, analysis } = ctx.deps;
  await ctx.beginPhase('verify', `checking ${version} on ${color} through its preview address`);
  const evidence: Record<string, unknown> = {};
  const targets = await driver.targets(color);
  const events = provisionEvents(ctx, color);
  const health = await verifier.health(targets, ctx.abort.signal);
  evidence.health = health.data ?? health.summary;
  if (!health.ok) return fail(ctx, color, `health checks failed: ${health.summary}`, evidence);
  ctx.deps.reporter.progress(`health: ${health.summary}`);
  const stability = await proveStable(ctx, color, events);
  evidence.stability = stability.summary;
  if (!stability.ok) return fail(ctx, color, stability.summary, evidence);
  const smoke = await verifier.smoke(targets, ctx.abort.signal, { color, version });
  evidence.smoke = smoke.data ?? smoke.summary;
  if (!smoke.ok) return fail(ctx, color, `smoke tests failed: ${smoke.summary}`, evidence);
  const notes = [`health: ${health.summary}`, stability.summary, `smoke: ${smoke.summary}`];
  if (analysis?.pre) {
    const from = ctx.op.from;
    const baseline = from && ctx.state.colors[from].version ? { color: from, version: ctx.state.colors[from].version! } : null;
    const report = await analysis.pre({ app: ctx.state.app, color, version, baseline, targets, onProgress: ctx.liveEvidence('analysis') }, ctx.abort.signal);
    evidence.analysis = report.data ?? report.summary;
    ctx.notifyVerdict('pre-promotion', report.verdict, report.summary);
    if (report.verdict === 'failed') return fail(ctx, color, `pre-promotion analysis failed: ${report.summary}`, evidence);
    notes.push(`analysis: ${report.verdict} (${report.summary})`);
  }
  const late = await unstable(events, ctx, color);
  if (late) return fail(ctx, color, late, evidence);
  if (ctx.abort.signal.aborted) throw declined('aborted');
  ctx.setColor(color, 'verified');
  await ctx.endPhase('succeeded', notes.join('; '), evidence);
}

/** The replica events of `color` since its provision began (the phase record makes this resumable). */
export function provisionEvents(ctx: OperationContext, color: Color): { watch: ReplicaEventWatch; reference: { at: number; label: string } } {
  const times = phaseTimes(ctx.op, 'provision');
  const since = times?.start ?? ctx.clock.now();
  return { watch: new ReplicaEventWatch(ctx.deps.driver, color, since, () => {}, ctx.clock), reference: { at: times?.end ?? since, label: 'after it became ready' } };
}

/**
 * Why `color` is not stable, or null: a replica exited or restarted since provision (from the
 * driver's events), or, for a driver without events, the platform reports a crash loop or fewer
 * ready than desired.
 */
export async function unstable(events: ReturnType<typeof provisionEvents>, ctx: OperationContext, color: Color): Promise<string | null> {
  await events.watch.catchUp();
  const fromEvents = () => {
    const failure = events.watch.failures[0];
    if (!failure) return null;
    const more = events.watch.failures.length - 1;
    return `${describeEvent(failure, events.reference)}${more > 0 ? ` (and ${more} more replica event${more > 1 ? 's' : ''})` : ''}; a replica must not exit or restart between provision and the switch`;
  };
  const seen = fromEvents();
  if (seen) return seen;
  const s = (await ctx.deps.driver.status()).colors[color];
  if (!s.crashLooping && s.ready >= s.desired) return null;
  // The status can show an exit the event read just before it missed (two requests, and the
  // replica died between them): give the event a moment to arrive, so that the verdict names the
  // replica and its exit rather than only the ready count.
  await events.watch.settle(STABILITY_EVENT_GRACE_MS).catch(() => []);
  return fromEvents() ?? `${color} is not stable: ${s.ready}/${s.desired} ready${s.crashLooping ? ', crash-looping' : ''}${s.detail ? ` (${s.detail})` : ''}`;
}

/** How long a failed stability probe waits for the platform to report the exit behind it. */
const STABILITY_EVENT_GRACE_MS = 300;

/** Keeps probing for `stableFor` after the required successes; any failed probe or replica event fails it. */
async function proveStable(ctx: OperationContext, color: Color, events: ReturnType<typeof provisionEvents>): Promise<{ ok: boolean; summary: string }> {
  const { settings, verifier, driver } = ctx.deps;
  const stableForMs = settings.stableForMs ?? 0;
  const intervalMs = Math.max(100, Math.min(1_000, settings.stableIntervalMs ?? 1_000));
  const started = ctx.clock.now();
  let probes = 0;
  do {
    const why = await unstable(events, ctx, color);
    if (why) return { ok: false, summary: why };
    if (ctx.clock.now() - started >= stableForMs) break;
    await ctx.clock.sleep(Math.min(intervalMs, stableForMs - (ctx.clock.now() - started)), ctx.abort.signal);
    if (ctx.abort.signal.aborted) return { ok: false, summary: 'aborted' };
    const probe = await verifier.probe(await driver.targets(color), ctx.abort.signal);
    probes++;
    if (!probe.ok) {
      // A probe that failed because a replica died: the exit, with its code and last words, is the better evidence.
      await ctx.clock.sleep(STABILITY_EVENT_GRACE_MS, ctx.abort.signal);
      const died = await unstable(events, ctx, color);
      if (died) return { ok: false, summary: died };
    }
    if (!probe.ok) return { ok: false, summary: `${color} became unhealthy ${((ctx.clock.now() - started) / 1000).toFixed(1)}s into health.stableFor: ${probe.summary}` };
  } while (true);
  return { ok: true, summary: stableForMs > 0 ? `stable for ${(stableForMs / 1000).toFixed(1)}s (${probes} more probes, no replica exited)` : 'no replica exited' };
}

async function fail(ctx: OperationContext, color: Color, message: string, evidence: unknown): Promise<never> {
  ctx.setColor(color, 'failed');
  throw new PhaseFailure(message, evidence);
}
