import { request } from 'undici';
import { CutoverError } from '../../core/errors.ts';
import type { CheckTargets, ColorStatus, LogLine, LogOptions, PlatformDriver, PlatformStatus, ReadyReport, SwitchResult, TrafficProof } from '../../core/driver.ts';
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
}

interface DaemonTraffic {
  live: Color | null;
  lastSwitch: { from: Color | null; to: Color; at: number } | null;
  oldAcceptedSinceSwitch: number;
}

const VERIFY_PROBES = 20;

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

  private async acceptedOn(color: Color): Promise<number> {
    const traffic = await this.client.call<{ acceptedOnMain: Record<Color, number> }>('GET', '/traffic');
    return traffic.acceptedOnMain[color];
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
