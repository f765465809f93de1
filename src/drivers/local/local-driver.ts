import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { packageFile } from '../../package-root.ts';
import { systemClock, type Clock } from '../../core/deps.ts';
import { CutoverError } from '../../core/errors.ts';
import type { CheckTargets, ColorStatus, Diagnosis, LogLine, LogOptions, PlatformDriver, PlatformStatus, ReadyReport, ReplicaEventPage, SplitRouting, SwitchResult, TrafficProof } from '../../core/driver.ts';
import { COLORS, otherColor } from '../../core/types.ts';
import type { Color, Release } from '../../core/types.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import { AdminClient } from './admin-client.ts';
import type { DaemonStatus } from './admin-protocol.ts';
import type { ResolvedLocalPlatform } from './config-schema.ts';
import { followLogs } from './log-files.ts';
import { portsExposedBeyondLoopback } from './listen-scope.ts';
import { releaseFileProblems } from './release-files.ts';
import { localPaths } from './paths.ts';
import type { LocalReleaseSpec } from './release-spec.ts';
import { probeTokenOf } from './daemon-probe-token.ts';

const VERIFY_PROBES = 20;
/**
 * A switch probe waits this long for an answer; routing is proven by the router's counts, not the
 * answer. The bake window (and its stuck-requests signal) starts only once the proof returns, so
 * for a release that never answers this wait is part of the time to roll it back.
 */
const PROBE_TIMEOUT_MS = 1_000;
const SPLIT_PROBES = 5;
/** The router keeps a client's bucket (0..9999) in the sticky cookie; the canary gets the lowest buckets. */
const FIRST_BUCKET = 0;
const LAST_BUCKET = 9_999;

/** The local platform, driven through the daemon's admin API. */
export class LocalDriver implements PlatformDriver {
  readonly kind = 'local';
  private readonly client: AdminClient;
  private readonly platform: ResolvedLocalPlatform;
  private readonly paths: ReturnType<typeof localPaths>;

  /** The cutover.yaml the daemon runs from, so that a dead daemon can be started again. */
  private readonly configPath: string | null;

  /** Paces waitReady's poll and bounds its timeout. */
  private readonly clock: Clock;

  constructor(platform: ResolvedLocalPlatform, stateDir: string, configPath?: string, clock: Clock = systemClock) {
    this.configPath = configPath ?? null;
    this.clock = clock;
    this.platform = platform;
    this.paths = localPaths(stateDir);
    this.client = new AdminClient(this.paths.socket);
  }

  get admin(): AdminClient {
    return this.client;
  }

  private daemonStatus(): Promise<DaemonStatus> {
    return this.client.send('GET /status');
  }

  async status(): Promise<PlatformStatus> {
    const s = await this.daemonStatus();
    const strip = (c: DaemonStatus['colors'][Color]): ColorStatus => ({ version: c.version, desired: c.desired, ready: c.ready, crashLooping: c.crashLooping, detail: c.detail });
    return { live: s.live, colors: { blue: strip(s.colors.blue), green: strip(s.colors.green) }, maintenance: s.maintenance };
  }

  /** Builds what the daemon runs. Plain string substitution into argv: a version can never reach a shell. */
  releaseSpec(release: Release, flags: Record<string, unknown>): LocalReleaseSpec {
    const fill = (s: string) => s.replaceAll('${version}', release.version);
    return {
      version: release.version,
      command: this.platform.command.map(fill),
      cwd: fill(this.platform.cwd),
      env: { ...this.platform.env },
      replicas: this.platform.replicas,
      flags,
      restart: this.platform.restart,
      stopTimeoutMs: this.platform.stopTimeoutMs,
      memoryLimitBytes: this.platform.memoryLimitBytes ?? undefined,
    };
  }

  async releaseProblems(release: Release): Promise<string[]> {
    return releaseFileProblems(this.releaseSpec(release, {}));
  }

  /**
   * Local troubleshooting: each running color's release can still start (its directory and
   * binary exist), and no replica listens beyond loopback, where clients could reach it
   * around the router and around maintenance mode.
   */
  async diagnose(): Promise<Diagnosis[]> {
    let s: DaemonStatus;
    try {
      s = await this.daemonStatus();
    } catch {
      return []; // doctor reports the unreachable daemon itself
    }
    const findings: Diagnosis[] = [];
    const ports: number[] = [];
    for (const color of ['blue', 'green'] as const) {
      const c = s.colors[color];
      if (!c.version) continue;
      const problems = releaseFileProblems(this.releaseSpec({ version: c.version }, {}));
      findings.push(problems.length
        ? { check: `${color} release`, verdict: 'problem', detail: problems.join('; '), fix: 'restore the release directory, or fix platform.cwd / platform.command' }
        : { check: `${color} release`, verdict: 'ok', detail: `${c.version}: directory and binary present` });
      for (const r of c.replicas) ports.push(Number(new URL(r.url).port));
    }
    if (ports.length) {
      const exposed = portsExposedBeyondLoopback(ports);
      findings.push(exposed.length
        ? { check: 'replica exposure', verdict: 'warning', detail: `replica port(s) listen beyond loopback: ${exposed.map((e) => `${e.address}:${e.port}`).join(', ')}; clients can reach them around the router and maintenance mode`, fix: 'make the app bind the HOST it is given (127.0.0.1), e.g. server.listen(process.env.PORT, process.env.HOST)' }
        : { check: 'replica exposure', verdict: 'ok', detail: `${ports.length} replica port(s) listen on loopback only` });
    }
    return findings;
  }

  async provision(color: Color, release: Release, flags: Record<string, unknown>): Promise<void> {
    const spec = this.releaseSpec(release, flags);
    // Before anything starts, so the idle color is left as it was.
    // Preflight checks this too; a resume re-entering at provision must not start a missing release either.
    const problems = releaseFileProblems(spec);
    if (problems.length) throw new CutoverError('operation-failed', problems.join('; '), { details: { cwd: spec.cwd, command: spec.command } });
    await this.client.send('PUT /colors/:color', { color, body: spec });
  }

  async waitReady(color: Color, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ReadyReport> {
    const started = this.clock.now();
    let last: ColorStatus | undefined;
    while (this.clock.now() - started < options.timeoutMs) {
      if (options.signal?.aborted) throw new CutoverError('operation-failed', `waiting for ${color} was aborted`);
      last = (await this.status()).colors[color];
      if (last.crashLooping) {
        throw new CutoverError('operation-failed', `${color} (${last.version}) is crash-looping: ${last.detail ?? 'replicas keep exiting'}`, { details: { status: last } });
      }
      if (last.desired > 0 && last.ready === last.desired) return { ready: last.ready, desired: last.desired, durationMs: this.clock.now() - started };
      await this.clock.sleep(100, options.signal);
    }
    const seconds = Math.round(options.timeoutMs / 1000);
    throw new CutoverError('operation-failed', `${color} did not become ready within ${seconds}s (${last?.ready ?? 0}/${last?.desired ?? 0} accepting connections${last?.detail ? `: ${last.detail}` : ''})`, { details: { status: last } });
  }

  async targets(color: Color): Promise<CheckTargets> {
    const s = await this.daemonStatus();
    const preview = s.live === color ? s.addresses.main : s.addresses.preview;
    if (!preview) throw new CutoverError('config', 'the router has no preview listener; set router.preview');
    return { replicas: s.colors[color].replicas.map((r) => ({ name: r.name, url: r.url })), preview };
  }

  async switchTraffic(to: Color): Promise<SwitchResult> {
    const started = Date.now();
    const result = await this.client.send('POST /switch', { body: { to } });
    return { from: result.from, to, durationMs: Date.now() - started };
  }

  /**
   * Proof that traffic moved: zero new requests on the old color since the switch (the router
   * counts requests it accepted per color), plus probes through the main listener that the
   * router says were each served by the new color, show that every request accepted after the
   * switch went there.
   */
  async verifyTraffic(to: Color): Promise<TrafficProof> {
    const started = Date.now();
    const s = await this.daemonStatus();
    if (s.live !== to) return { ok: false, detail: `the router's live color is ${s.live ?? 'none'}, not ${to}`, durationMs: Date.now() - started };
    const before = await this.acceptedOn(to);
    // The probes go out together with a short timeout, so a release that hangs or fails them
    // cannot stall the switch (judging its answers is the bake window's job). Each answered probe
    // says which color served it; one that got no answer still counts if the router accepted it
    // for `to`, which its per-color count shows. User traffic is never counted as a probe.
    const probes = await this.probeMain(s.addresses.main, {}, VERIFY_PROBES, PROBE_TIMEOUT_MS);
    const accepted = (await this.acceptedOn(to)) - before;
    const answered = probes.servedBy[to] ?? 0;
    const unanswered = probes.failures.length;
    const reached = answered + Math.min(unanswered, Math.max(0, accepted - answered));
    const elsewhere = Object.entries(probes.servedBy).filter(([color]) => color !== to).map(([color, n]) => `${n} by ${color}`);
    const failures = probes.failures;
    const traffic = await this.client.send('GET /traffic');
    const old = traffic.lastSwitch?.from;
    const ok = reached === VERIFY_PROBES && elsewhere.length === 0 && traffic.oldAcceptedSinceSwitch === 0;
    const detail = `${reached}/${VERIFY_PROBES} probes reached ${to}` +
      (elsewhere.length ? ` (answered ${elsewhere.join(', ')})` : '') +
      (old ? `; ${traffic.oldAcceptedSinceSwitch} request(s) reached ${old} after the switch` : '') +
      (failures.length ? `; ${failures.length} probe(s) got no answer: ${[...new Set(failures)].slice(0, 3).join(', ')}` : '');
    return { ok, detail, durationMs: Date.now() - started };
  }

  async shiftTraffic(canary: Color, percent: number, routing: SplitRouting): Promise<SwitchResult> {
    const started = Date.now();
    const live = otherColor(canary);
    await this.client.send('PUT /split', {
      body: {
        weights: { [live]: 100 - percent, [canary]: percent },
        stickyCookie: routing.sticky.cookie,
        stickyHeader: routing.sticky.header,
        cohort: routing.cohort,
      },
    });
    return { from: live, to: canary, durationMs: Date.now() - started };
  }

  /**
   * Proof of a split: the router reports exactly this canary and share, and probes through the
   * main listener that carry a cohort value or a canary bucket cookie reach the canary, while a
   * probe with the last bucket stays on the live color. Under other load the per-color counts
   * only bound the probes from below, so the router's own split record is the primary evidence.
   */
  async verifySplit(canary: Color, percent: number, routing: SplitRouting): Promise<TrafficProof> {
    const started = Date.now();
    const s = await this.daemonStatus();
    const live = otherColor(canary);
    const fail = (detail: string): TrafficProof => ({ ok: false, detail, durationMs: Date.now() - started });
    if (s.live !== live) return fail(`the router's live color is ${s.live ?? 'none'}, not ${live}`);
    const split = s.routerSplit;
    if (!split || split.canary !== canary) return fail(`the router has ${split ? `${split.canary} as canary` : 'no split'}, not ${canary}`);
    if (Math.abs(split.canaryShare * 100 - percent) > 0.01) return fail(`the router sends ${(split.canaryShare * 100).toFixed(2)}% to ${canary}, not ${percent}%`);

    const toCanary: Array<Record<string, string>> = [];
    const cohort = routing.cohort?.header ?? routing.cohort?.cookie;
    if (routing.cohort?.header) toCanary.push({ [routing.cohort.header.name]: routing.cohort.header.values[0]! });
    else if (routing.cohort?.cookie) toCanary.push({ cookie: `${routing.cohort.cookie.name}=${routing.cohort.cookie.values[0]}` });
    if (routing.sticky.cookie && percent > 0) toCanary.push({ cookie: `${routing.sticky.cookie}=${FIRST_BUCKET}` });
    const evidence: string[] = [`router sends ${percent}% to ${canary}${cohort ? ` plus cohort ${cohort.name}` : ''}`];
    for (const headers of toCanary) {
      const reached = (await this.probeMain(s.addresses.main, headers, SPLIT_PROBES)).servedBy[canary] ?? 0;
      if (reached < SPLIT_PROBES) return fail(`${evidence[0]}, but only ${reached}/${SPLIT_PROBES} probes with ${Object.values(headers)[0]} reached ${canary}`);
      evidence.push(`${reached}/${SPLIT_PROBES} probes with ${Object.keys(headers)[0]} ${Object.values(headers)[0]} reached ${canary}`);
    }
    if (routing.sticky.cookie) {
      const reached = (await this.probeMain(s.addresses.main, { cookie: `${routing.sticky.cookie}=${LAST_BUCKET}` }, SPLIT_PROBES)).servedBy[live] ?? 0;
      if (reached < SPLIT_PROBES) return fail(`${evidence[0]}, but only ${reached}/${SPLIT_PROBES} probes outside the canary share reached ${live}`);
      evidence.push(`${reached}/${SPLIT_PROBES} probes outside it reached ${live}`);
    }
    return { ok: true, detail: evidence.join('; '), durationMs: Date.now() - started };
  }

  async endSplit(): Promise<void> {
    await this.client.send('DELETE /split');
  }

  /**
   * Sends `count` probes through the main listener and tallies the color that served each, as
   * the router reports it on probe responses. Counting per probe, not the router's per-color
   * request counters, keeps user traffic arriving meanwhile out of the proof.
   */
  private async probeMain(main: string, headers: Record<string, string>, count: number, timeoutMs = 5_000): Promise<{ servedBy: Partial<Record<string, number>>; failures: string[] }> {
    const servedBy: Partial<Record<string, number>> = {};
    const failures: string[] = [];
    // Loaded here, not at the top: read-only commands (`status`) never probe, and undici is
    // much of their start-up time.
    const [{ request }, { PROBE_HEADER, SERVED_BY_HEADER }, token] = await Promise.all([import('undici'), import('../../router/probe-token.ts'), this.probeToken()]);
    await Promise.all(Array.from({ length: count }, async () => {
      try {
        const response = await request(`${main}/`, { method: 'GET', headers: { ...headers, [PROBE_HEADER]: token }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
        await response.body.dump();
        const color = response.headers[SERVED_BY_HEADER];
        // No color header: the router answered itself (a 502 from a replica that reset, a 503
        // in maintenance). That says nothing about where it routed; the router's counts do.
        if (typeof color === 'string') servedBy[color] = (servedBy[color] ?? 0) + 1;
        else failures.push(`answered ${response.statusCode} by the router itself`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }));
    return { servedBy, failures };
  }

  /**
   * The token that makes the data plane tell a probe which color served it (probe-token.ts).
   * Asked for at each proof, not kept: the daemon's answer is the one its data plane enforces.
   */
  private probeToken(): Promise<string> {
    return probeTokenOf(() => this.client.send('GET /probe-token'));
  }

  private async acceptedOn(color: Color): Promise<number> {
    const traffic = await this.client.send('GET /traffic');
    return traffic.acceptedOnMain[color];
  }

  /** The supervisor keeps the events in the daemon; this is a long poll on its admin API. */
  async replicaEvents(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage> {
    const waitMs = Math.max(0, Math.round(options.waitMs ?? 0));
    const poll = () => this.client.send('GET /colors/:color/events', { color, query: { since: options.since, wait: waitMs }, timeoutMs: waitMs + 10_000 });
    if (!options.signal) return poll();
    // AdminClient.send takes no AbortSignal; racing it keeps an
    // abort prompt, and the daemon ends the poll on its own within waitMs.
    const signal = options.signal;
    return new Promise<ReplicaEventPage>((resolve, reject) => {
      const onAbort = () => resolve({ events: [], cursor: options.since, desired: 0, ready: 0 });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      poll().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * Runs the real `cutover up` (one way to start the daemon): it brings back what daemon.json
   * records, adopting replica processes that outlived the old daemon, and returns once it listens.
   */
  async restartPlatform(): Promise<string> {
    if (await this.client.isUp()) return 'the cutover daemon is running';
    if (!this.configPath) throw new CutoverError('unreachable', 'the cutover daemon is not running, and this driver does not know its config to start it: run `cutover up`');
    const bin = packageFile('bin/cutover');
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      let out = '';
      const child = spawn(process.execPath, [bin, 'up', '--config', this.configPath!], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dirname(this.configPath!) });
      child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      child.on('error', (err) => resolve({ code: null, out: err.message }));
      child.on('exit', (code) => resolve({ code, out }));
    });
    if (run.code !== 0) throw new CutoverError('unreachable', `the cutover daemon was not running and \`cutover up\` failed (exit ${run.code}): ${run.out.trim().split('\n').slice(-3).join(' ')}`);
    const status = await this.daemonStatus();
    return `the cutover daemon was not running: started it again (pid ${status.pid})`;
  }

  async retire(color: Color): Promise<void> {
    await this.client.send('DELETE /colors/:color', { color });
  }

  async setFlags(color: Color, flags: Record<string, unknown>, options: { rolling?: boolean } = {}): Promise<void> {
    await this.client.send('PUT /colors/:color/flags', { color, body: { flags, rolling: options.rolling ?? false } });
  }

  async maintenance(on: boolean, message?: string): Promise<void> {
    await this.client.send('PUT /maintenance', { body: { on, message } });
  }

  logs(color: Color, options: LogOptions = {}): AsyncIterable<LogLine> {
    return followLogs(this.paths.logs, color, options);
  }

  /** The router's counters as JSON, for the builtin provider, the bake window and the dashboard. */
  async routerCounters(): Promise<RouterCounters> {
    return this.client.send('GET /counters');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
