import type { AnalysisReport } from '../deps.ts';
import type { ReplicaEvent } from '../driver.ts';
import { DEFAULT_GUARDRAILS, type GuardrailSettings } from '../guardrails/config-schema.ts';
import { describeEvent, ReplicaEventWatch } from '../guardrails/replica-event-watch.ts';
import { describeTraffic, judgeTraffic, type TrafficBaseline } from '../guardrails/traffic-signals.ts';
import { TrafficSeries } from '../guardrails/traffic-series.ts';
import type { OperationContext } from '../engine/operation-context.ts';
import type { Color } from '../types.ts';

/** The longest a builtin traffic signal waits for a configured analysis' next reading. */
const ANALYSIS_GRACE_MS = 2_000;
/** A reading takes a moment after its interval (a query, a scrape). */
const ANALYSIS_READING_SLACK_MS = 250;

/** Which signal ended a watch: a builtin guardrail, configured analysis, or a person. */
export type WatchSignal =
  | 'replica-events' | 'ready-count' | 'health' | 'main-listener'
  | '5xx' | 'upstream-errors' | 'latency' | 'stuck-requests'
  | 'analysis' | 'request';

/** What watching a color for a while found. */
export interface WatchResult {
  /** Why the watch ended badly, with its evidence, or null. */
  breach: string | null;
  /** The signal behind `breach`. */
  signal: WatchSignal | null;
  /** The breach was a guardrail, an explicit request or a critical metric (the policy always rolls back). */
  critical: boolean;
  /** `cutover finalize` ended it early (only when allowed). */
  finalized: boolean;
  /** Post-promotion analysis over the watch, when configured. */
  report: AnalysisReport | null;
  rounds: number;
  failures: number;
  elapsedMs: number;
  /** Replica events seen during the watch (failures and replacements). */
  events: ReplicaEvent[];
  /** One line about the new color's traffic over the watch, when it was read. */
  traffic: string | null;
}

export interface WatchOptions {
  allowFinalize: boolean;
  /**
   * The moment evidence is timed from (the switch), and the old color's traffic just before it.
   * Traffic signals are judged only with this (the bake window, all traffic on `color`).
   */
  reference?: {
    at: number;
    label: string;
    baseline: TrafficBaseline | null;
    /**
     * Replica events count from here (default `at`): the switch's start, since the first real
     * requests reach the new color while the switch is still proving itself.
     */
    eventsSince?: number;
    /** How an event between `eventsSince` and `at` is described, e.g. `during the switch`. */
    earlier?: string;
  };
}

/**
 * Watches `color` for `durationMs`, stopping at the first breach of any signal:
 * - replica and pod events, acted on the moment the platform reports them (a long poll);
 * - the ready count and a crash loop, from the platform's status each reading;
 * - health per replica and through the color's shared address (the main listener once live),
 *   on targets re-read every reading, so the probes follow replaced replicas and pods;
 * - real traffic against the old color before the switch (5xx, upstream errors, stuck requests, p99);
 * - post-promotion analysis when configured, `cutover rollback` and `cutover abort`.
 * Used by the bake window and by each progressive step.
 */
export async function watchColor(ctx: OperationContext, color: Color, version: string, durationMs: number, options: WatchOptions): Promise<WatchResult> {
  const { driver, verifier, analysis, settings, reporter } = ctx.deps;
  const guard = settings.guardrails ?? DEFAULT_GUARDRAILS;
  const { intervalMs, failureThreshold } = settings.monitor;
  const started = ctx.clock.now();
  const reference = options.reference ?? { at: started, label: 'into the watch', baseline: null };
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.abort.signal.addEventListener('abort', onAbort, { once: true });

  let breach: string | null = null;
  let signal: WatchSignal | null = null;
  const fail = (which: WatchSignal, why: string) => {
    if (breach) return;
    breach = why;
    signal = which;
    stop.abort();
  };
  const events = new ReplicaEventWatch(driver, color, reference.eventsSince ?? reference.at, (event) => {
    if (guard.replicaEvents) fail('replica-events', describeEvent(event, reference));
  }, ctx.clock);
  if (guard.replicaEvents) {
    // What happened between the switch and now (e.g. before a resume) counts too.
    await events.catchUp().catch(() => {});
    events.start();
  }

  let postResult: AnalysisReport | null = null;
  const from = ctx.op.from;
  const baselineRelease = from && from !== color && ctx.state.colors[from].version ? { color: from, version: ctx.state.colors[from].version! } : null;
  const firstTargets = await driver.targets(color);
  const post = analysis?.post
    ? analysis.post({ app: ctx.state.app, color, version, baseline: baselineRelease, targets: firstTargets, durationMs, onProgress: ctx.liveEvidence('analysis') }, stop.signal)
      .then((r) => { postResult = r; if (r.verdict === 'failed') stop.abort(); })
      .catch((err: Error) => { postResult = { verdict: 'error', summary: err.message }; })
    : Promise.resolve();

  const traffic = options.reference && ctx.deps.traffic && guard.traffic.enabled
    ? new TrafficSeries(ctx.deps.traffic, color, guard.traffic.latency.minRequestsPerReading, intervalMs)
    : null;
  await traffic?.sample(ctx.clock.now()).catch(() => null);
  // Traffic is read on its own, faster beat (`guardrails.traffic.interval`): the router's counters
  // are cheap to read, and a health round (probes with timeouts) must not delay a verdict on a
  // stuck or slow request by up to a whole `monitor.interval`.
  const trafficStop = new AbortController();
  stop.signal.addEventListener('abort', () => trafficStop.abort(), { once: true });
  // Refused and reset connections are how a crash looks from the router: before they name the
  // verdict, the replica events get one traffic beat to report the exit behind them.
  // The same holds for a ready count that drops or a crash loop in the platform's status: the pod
  // or replica event behind it (which container, what exit code) names the verdict when it is there.
  const letEventsExplain = guard.replicaEvents ? () => events.settle(guard.traffic.intervalMs).then(() => {}, () => {}) : async () => {};
  // Which signal names the verdict must not depend on which was read first. A configured
  // post-promotion analysis is the user's own rule, in their own terms, so when a builtin traffic
  // signal fires and the analysis reads again soon (within ANALYSIS_GRACE_MS), the builtin waits
  // for that reading: if it fails, the analysis names the verdict. The rollback is at most one
  // analysis interval later; slower analyses are not waited for, and the builtin names it.
  const graceMs = analysis?.post && analysis.postReadingIntervalMs !== undefined && analysis.postReadingIntervalMs <= ANALYSIS_GRACE_MS
    ? analysis.postReadingIntervalMs + ANALYSIS_READING_SLACK_MS
    : 0;
  const analysisFailed = () => (postResult as AnalysisReport | null)?.verdict === 'failed';
  const letAnalysisRead = graceMs > 0
    ? () => Promise.race([post, ctx.clock.sleep(graceMs, trafficStop.signal)]).then(analysisFailed)
    : async () => analysisFailed();
  const trafficWatch = traffic ? watchTraffic(ctx, traffic, reference.baseline, guard.traffic, trafficStop.signal, fail, letEventsExplain, letAnalysisRead) : Promise.resolve();

  let rounds = 0;
  let failures = 0;
  let consecutive = 0;
  let readyShort = 0;
  let finalized = false;
  try {
    while (!breach && ctx.clock.now() - started < durationMs) {
      if (ctx.hasSignal('rollback')) { fail('request', 'rollback requested with `cutover rollback`'); break; }
      if (ctx.abort.signal.aborted) { fail('request', 'aborted with `cutover abort`'); break; }
      if (options.allowFinalize && ctx.hasSignal('finalize')) { finalized = true; break; }
      if (postResult && (postResult as AnalysisReport).verdict === 'failed') break;

      const round = await readRound(ctx, color, guard.mainListener, stop.signal);
      if (breach) break;
      if (stop.signal.aborted && postResult && (postResult as AnalysisReport).verdict === 'failed') break;
      rounds++;

      if (round.status && guard.readyCount.enabled) {
        const s = round.status;
        if (s.crashLooping || (s.ready < s.desired && readyShort + 1 >= guard.readyCount.readings)) {
          await letEventsExplain();
          if (breach) break;
        }
        if (s.crashLooping) { fail('ready-count', `${color} is crash-looping (${s.ready}/${s.desired} ready${s.detail ? `: ${s.detail}` : ''})`); break; }
        if (s.ready < s.desired) {
          const replaced = events.events.filter((e) => e.kind === 'replaced' && ctx.clock.now() - e.at < settings.provisionTimeoutMs);
          readyShort = replaced.length > 0 ? 0 : readyShort + 1;
          if (replaced.length > 0) reporter.progress(`${s.ready}/${s.desired} ready on ${color} while the platform replaces ${replaced.map((e) => e.replica).join(', ')}`);
          if (readyShort >= guard.readyCount.readings) {
            fail('ready-count', `${color} has ${s.ready}/${s.desired} replicas ready for ${readyShort} readings in a row${s.detail ? ` (${s.detail})` : ''}`);
            break;
          }
        } else {
          readyShort = 0;
        }
      }

      if (round.ok) consecutive = 0;
      else {
        failures++;
        consecutive++;
        reporter.progress(`health probe failed (${consecutive}/${failureThreshold}): ${round.summary}`);
        if (consecutive >= failureThreshold) {
          fail(round.which, `${round.which === 'main-listener' ? 'traffic through the main listener' : 'health'} failed ${consecutive} times in a row: ${round.summary}`);
          break;
        }
      }

      await ctx.clock.sleep(Math.min(intervalMs, Math.max(0, durationMs - (ctx.clock.now() - started))), stop.signal);
    }
  } finally {
    ctx.abort.signal.removeEventListener('abort', onAbort);
    if (breach || finalized) stop.abort();
    // The traffic beat runs only as long as the rounds do.
    trafficStop.abort();
    await trafficWatch;
    await events.stop();
  }
  await post;
  const report = postResult as AnalysisReport | null;
  let critical = breach !== null;
  if (!breach && report?.verdict === 'failed') {
    breach = `post-promotion analysis failed: ${report.summary}`;
    signal = 'analysis';
    critical = report.critical ?? true;
  }
  return {
    breach,
    signal,
    critical,
    finalized,
    report,
    rounds,
    failures,
    elapsedMs: ctx.clock.now() - started,
    events: events.events,
    traffic: traffic ? describeTraffic(color, traffic.totals(), reference.baseline) : null,
  };
}

/** Reads `series` every `settings.intervalMs` and judges it, until `signal` ends the watch or a signal fires. */
async function watchTraffic(
  ctx: OperationContext,
  series: TrafficSeries,
  baseline: TrafficBaseline | null,
  settings: GuardrailSettings['traffic'],
  signal: AbortSignal,
  fail: (which: WatchSignal, why: string) => void,
  explainUpstreamErrors: () => Promise<void>,
  letAnalysisRead: () => Promise<boolean>,
): Promise<void> {
  while (!signal.aborted) {
    await ctx.clock.sleep(settings.intervalMs, signal);
    if (signal.aborted) return;
    const now = ctx.clock.now();
    const latest = await series.sample(now).catch(() => null);
    const judged = judgeTraffic({
      color: series.color,
      window: series.totals(now - settings.windowMs),
      p99Samples: series.readings.filter((r) => r.p99Ms !== null).map((r) => r.p99Ms!),
      latest,
      baseline,
      settings,
    });
    if (!judged) continue;
    if (judged.signal === 'upstream-errors') await explainUpstreamErrors();
    // The analysis failed on its own reading: it names the verdict (and has ended the watch).
    if (await letAnalysisRead()) return;
    return fail(judged.signal, judged.evidence);
  }
}

interface Round {
  ok: boolean;
  which: 'health' | 'main-listener';
  summary: string;
  status: { desired: number; ready: number; crashLooping: boolean; detail?: string } | null;
}

/** One reading: targets afresh, per-replica health, health through the shared address, the platform's ready count. */
async function readRound(ctx: OperationContext, color: Color, mainListener: boolean, signal: AbortSignal): Promise<Round> {
  const { driver, verifier } = ctx.deps;
  let targets;
  try {
    targets = await driver.targets(color);
  } catch (err) {
    // The platform itself is gone (e.g. the daemon died): live traffic is failing too.
    return { ok: false, which: 'main-listener', summary: `cannot reach the platform: ${(err as Error).message}`, status: null };
  }
  const [replicas, shared, status] = await Promise.all([
    verifier.probe(targets, signal),
    mainListener && targets.replicas.length > 0 ? verifier.probe({ replicas: [], preview: targets.preview }, signal) : Promise.resolve(null),
    driver.status().then((s) => s.colors[color]).catch(() => null),
  ]);
  if (!replicas.ok) return { ok: false, which: 'health', summary: replicas.summary, status };
  if (shared && !shared.ok) return { ok: false, which: 'main-listener', summary: `through ${targets.preview}: ${shared.summary}`, status };
  return { ok: true, which: 'health', summary: replicas.summary, status };
}

/** `12 health rounds, 0 failed; traffic: ...; analysis successful: ...` */
export function watchNotes(result: WatchResult): string {
  const replaced = result.events.filter((e) => e.kind === 'replaced').length;
  return `${result.rounds} health rounds, ${result.failures} failed`
    + (replaced ? `; ${replaced} replica(s) replaced by the platform` : '')
    + (result.traffic ? `; ${result.traffic}` : '')
    + (result.report ? `; analysis ${result.report.verdict}: ${result.report.summary}` : '');
}
