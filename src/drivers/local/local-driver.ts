import { request } from 'undici';
import { CutoverError } from '../../core/errors.ts';
import type { CheckTargets, ColorStatus, LogLine, LogOptions, PlatformDriver, PlatformStatus, ReadyReport, ReplicaEventPage, SplitRouting, SwitchResult, TrafficProof } from '../../core/driver.ts';
import { otherColor } from '../../core/types.ts';
import type { Color, Release } from '../../core/types.ts';
import { AdminClient } from './admin-client.ts';
import type { ResolvedLocalPlatform } from './config-schema.ts';
import { followLogs } from './log-files.ts';
import { localPaths } from './paths.ts';
import type { LocalReleaseSpec } from './release-spec.ts';

interface DaemonStatus {
  live: Color | null;
  addresses: { main: string; preview?: string; metrics?: string };
  colors: Record<Color, ColorStatus & { replicas: Array<{ name: string; url: string; phase: string }> }>;
  maintenance: { on: boolean; message?: string };
  routerSplit?: { canary: Color; canaryShare: number } | null;
}

interface DaemonTraffic {
  live: Color | null;
  lastSwitch: { from: Color | null; to: Color; at: number } | null;
  oldAcceptedSinceSwitch: number;
}

const VERIFY_PROBES = 20;
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

  constructor(platform: ResolvedLocalPlatform, stateDir: string) {
    this.platform = platform;
    this.paths = localPaths(stateDir);
    this.client = new AdminClient(this.paths.socket);
  }

  get admin(): AdminClient {
    return this.client;
  }

  private daemonStatus(): Promise<DaemonStatus> {
    return this.client.call<DaemonStatus>('GET', '/status');
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

  async provision(color: Color, release: Release, flags: Record<string, unknown>): Promise<void> {
    await this.client.call('PUT', `/colors/${color}`, this.releaseSpec(release, flags));
  }

  async waitReady(color: Color, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ReadyReport> {
    const started = Date.now();
    let last: ColorStatus | undefined;
    while (Date.now() - started < options.timeoutMs) {
      if (options.signal?.aborted) throw new CutoverError('operation-failed', `waiting for ${color} was aborted`);
      last = (await this.status()).colors[color];
      if (last.crashLooping) {
        throw new CutoverError('operation-failed', `${color} (${last.version}) is crash-looping: ${last.detail ?? 'replicas keep exiting'}`, { details: { status: last } });
      }
      if (last.desired > 0 && last.ready === last.desired) return { ready: last.ready, desired: last.desired, durationMs: Date.now() - started };
      await new Promise((r) => setTimeout(r, 100));
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
    const result = await this.client.call<{ from: Color | null; to: Color }>('POST', '/switch', { to });
    return { from: result.from, to, durationMs: Date.now() - started };
  }

  /**
   * Proof that traffic moved: the router counts requests it accepted per color, so zero new
   * requests on the old color since the switch, plus probes through the main listener that
   * all land on the new color, show that every request accepted after the switch went there.
   */
  async verifyTraffic(to: Color): Promise<TrafficProof> {
    const started = Date.now();
    const s = await this.daemonStatus();
    if (s.live !== to) return { ok: false, detail: `the router's live color is ${s.live ?? 'none'}, not ${to}`, durationMs: Date.now() - started };
    const before = await this.acceptedOn(to);
    let answered = 0;
    const failures: string[] = [];
    for (let i = 0; i < VERIFY_PROBES; i++) {
      try {
        const response = await request(`${s.addresses.main}/`, { method: 'GET', headers: { 'x-cutover-probe': '1' }, headersTimeout: 5_000, bodyTimeout: 5_000 });
        await response.body.dump();
        answered++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    const after = await this.acceptedOn(to);
    const traffic = await this.client.call<DaemonTraffic>('GET', '/traffic');
    const reached = after - before;
    const old = traffic.lastSwitch?.from;
    const ok = reached >= answered && answered === VERIFY_PROBES && traffic.oldAcceptedSinceSwitch === 0;
    const detail = `${reached}/${VERIFY_PROBES} probes reached ${to}` +
      (old ? `; ${traffic.oldAcceptedSinceSwitch} request(s) reached ${old} after the switch` : '') +
      (failures.length ? `; probe errors: ${failures.slice(0, 3).join(', ')}` : '');
    return { ok, detail, durationMs: Date.now() - started };
  }

  async shiftTraffic(canary: Color, percent: number, routing: SplitRouting): Promise<SwitchResult> {
    const started = Date.now();
    const live = otherColor(canary);
    await this.client.call('PUT', '/split', {
      weights: { [live]: 100 - percent, [canary]: percent },
      stickyCookie: routing.sticky.cookie,
      stickyHeader: routing.sticky.header,
      cohort: routing.cohort,
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
      const before = await this.acceptedOn(canary);
      const answered = await this.probeMain(s.addresses.main, headers, SPLIT_PROBES);
      const reached = (await this.acceptedOn(canary)) - before;
      if (answered < SPLIT_PROBES || reached < SPLIT_PROBES) return fail(`${evidence[0]}, but only ${Math.min(answered, reached)}/${SPLIT_PROBES} probes with ${Object.values(headers)[0]} reached ${canary}`);
      evidence.push(`${reached}/${SPLIT_PROBES} probes with ${Object.keys(headers)[0]} ${Object.values(headers)[0]} reached ${canary}`);
    }
    if (routing.sticky.cookie) {
      const before = await this.acceptedOn(live);
      const answered = await this.probeMain(s.addresses.main, { cookie: `${routing.sticky.cookie}=${LAST_BUCKET}` }, SPLIT_PROBES);
      const reached = (await this.acceptedOn(live)) - before;
      if (answered < SPLIT_PROBES || reached < SPLIT_PROBES) return fail(`${evidence[0]}, but only ${Math.min(answered, reached)}/${SPLIT_PROBES} probes outside the canary share reached ${live}`);
      evidence.push(`${reached}/${SPLIT_PROBES} probes outside it reached ${live}`);
    }
    return { ok: true, detail: evidence.join('; '), durationMs: Date.now() - started };
  }

  async endSplit(): Promise<void> {
    await this.client.call('DELETE', '/split');
  }

  private async probeMain(main: string, headers: Record<string, string>, count: number): Promise<number> {
    let answered = 0;
    for (let i = 0; i < count; i++) {
      try {
        const response = await request(`${main}/`, { method: 'GET', headers: { 'x-cutover-probe': '1', ...headers }, headersTimeout: 5_000, bodyTimeout: 5_000 });
        await response.body.dump();
        answered++;
      } catch { /* counted as unanswered */ }
    }
    return answered;
  }

  private async acceptedOn(color: Color): Promise<number> {
    const traffic = await this.client.call<{ acceptedOnMain: Record<Color, number> }>('GET', '/traffic');
    return traffic.acceptedOnMain[color];
  }

  /** The supervisor keeps the events in the daemon; this is a long poll on its admin API. */
  async replicaEvents(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage> {
    const waitMs = Math.max(0, Math.round(options.waitMs ?? 0));
    const path = `/colors/${color}/events?since=${options.since}&wait=${waitMs}`;
    if (!options.signal) return this.client.call<ReplicaEventPage>('GET', path, undefined, waitMs + 10_000);
    // undici cannot be handed an AbortSignal through AdminClient.call; racing it keeps an
    // abort prompt, and the daemon ends the poll on its own within waitMs.
    const signal = options.signal;
    return new Promise<ReplicaEventPage>((resolve, reject) => {
      const onAbort = () => resolve({ events: [], cursor: options.since, desired: 0, ready: 0 });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.client.call<ReplicaEventPage>('GET', path, undefined, waitMs + 10_000).then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async retire(color: Color): Promise<void> {
    await this.client.call('DELETE', `/colors/${color}`);
  }

  async setFlags(color: Color, flags: Record<string, unknown>, options: { rolling?: boolean } = {}): Promise<void> {
    await this.client.call('PUT', `/colors/${color}/flags`, { flags, rolling: options.rolling ?? false });
  }

  async maintenance(on: boolean, message?: string): Promise<void> {
    await this.client.call('PUT', '/maintenance', { on, message });
  }

  logs(color: Color, options: LogOptions = {}): AsyncIterable<LogLine> {
    return followLogs(this.paths.logs, color, options);
  }

  async metricsText(): Promise<string> {
    return this.client.call<string>('GET', '/metrics');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
