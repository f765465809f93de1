import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../../core/errors.ts';
import { COLORS, otherColor, type Color } from '../../core/types.ts';
import type { ColorTraffic, DataPlane, DataPlaneOptions, DataPlaneState } from '../../drivers/local/data-plane.ts';
import { writeFileAtomic, PRIVATE_DIR_MODE } from '../../drivers/local/atomic-file.ts';
import { freePort } from '../../drivers/local/free-port.ts';
import type { DrainReport } from '../drain-watch.ts';
import { renderMaintenancePage, type MaintenanceState } from '../maintenance-page.ts';
import type { RouterCounters } from '../router-counters.ts';
import type { RetireReport, SplitConfig, SwitchReport } from '../router.ts';
import { isProbeToken, newProbeToken } from '../probe-token.ts';
import { TrafficSplit } from '../traffic-split.ts';
import { haproxyConfig, routingMapLines, SERVER_SLOTS } from './haproxy-config.ts';
import { backendRow, listenerStatsOf, oldestSessions, prometheusText, routerCountersOf, type RelayedTraffic } from './haproxy-metrics.ts';
import { findHaproxy, HaproxyMaster, workerPid } from './haproxy-process.ts';
import { RequestLogHistogram } from './request-log-histogram.ts';
import { LongLivedRelay } from './long-lived-relay.ts';
import { parseShowStat, runtimeCommand, type StatRow } from './runtime-api.ts';
import { pauseHoldLua } from './pause-hold.ts';
import { drainCutLua } from './drain-cut.ts';
import { joinHeaderLinesLua } from './join-header-lines.ts';
import { assertConfigSafeNames, NO_SPLIT_NAMES, sameSplitNames, splitMapEntries, splitNamesOf, withoutSplit, type SplitNames } from './split-rules.ts';

const DRAIN_POLL_MS = 50;
const RESTART_BACKOFF_MS = 250;
/** As the Node router's default. */
const DEFAULT_MAX_PAUSE_MS = 10_000;
/** How long a daemon taking over waits for its predecessor to free the metrics port. */
const METRICS_TAKEOVER_MS = 60_000;

/** One drain of an old color under way: its report settles when it ends; `expire` ends it now (at close). */
interface Drain {
  readonly color: Color;
  readonly report: Promise<DrainReport>;
  expire(): void;
}

/** What a restarted daemon needs to regenerate exactly the config the running HAProxy has. */
interface EngineState {
  main: { host: string; port: number };
  preview?: { host: string; port: number };
  slots: Record<Color, Array<[number, string]>>;
  map: Record<string, string>;
  logPort?: number;
  /** The socket the daemon's WebSocket and event-stream relay listened on (long-lived-relay.ts). */
  longLivedRelaySocket?: string;
  /** The header and cookie names the config's split rules read (absent: the defaults). */
  splitNames?: SplitNames;
  /** The probe token in the running config (probe-token.ts); absent from an older daemon's record. */
  probeToken?: string;
}

function hostPort(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' || u.pathname !== '/' || u.search) {
    throw new CutoverError('config', `upstream ${url} is not a plain http origin`);
  }
  return `${u.hostname}:${u.port || '80'}`;
}

/**
 * The `haproxy` engine: HAProxy is the data plane, this object its control plane. Routing
 * state lives in one HAProxy map (see haproxy-config.ts); every change is one
 * `prepare map` / `add map @ver` / `commit map` transaction, never a reload, and the map file
 * on disk follows it so a restarted HAProxy comes back with the same state. Counters come
 * from HAProxy's `show stat`. Calls are serialized: HAProxy sees them in the order made.
 */
export class HaproxyDataPlane implements DataPlane {
  readonly engine = 'haproxy' as const;
  readonly address: { main: string; preview?: string; metrics?: string };
  readonly probeToken: string;
  readonly #master: HaproxyMaster;
  readonly #options: DataPlaneOptions;
  readonly #dir: string;
  readonly #mapFile: string;
  readonly #stateFile: string;
  readonly #listen: EngineState['main'];
  readonly #previewAt: EngineState['preview'];
  readonly #slots: Record<Color, Map<number, string>> = { blue: new Map(), green: new Map() };
  readonly #nextSlot: Record<Color, number> = { blue: 1, green: 1 };
  #map: Record<string, string> = {};
  #maintenance = false;
  #split: TrafficSplit | null = null;
  #splitNames: SplitNames = NO_SPLIT_NAMES;
  #queue: Promise<unknown> = Promise.resolve();
  #metricsServer: Server | null = null;
  #latency: RequestLogHistogram | null = null;
  /** Where HAProxy sends WebSockets and event streams; set in start(), before any config is written. */
  #relay!: LongLivedRelay;
  #closed = false;
  /** The drains under way: `drained(color)` waits for a color's, `close()` ends them all. */
  readonly #drains = new Set<Drain>();

  private constructor(options: DataPlaneOptions, master: HaproxyMaster, dir: string, listen: EngineState['main'], preview: EngineState['preview'], probeToken: string) {
    this.#options = options;
    this.probeToken = probeToken;
    this.#master = master;
    this.#dir = dir;
    this.#mapFile = join(dir, 'routing.map');
    this.#stateFile = join(dir, 'engine.json');
    this.#listen = listen;
    this.#previewAt = preview;
    const url = (at: { host: string; port: number }) => (at.host.includes(':') ? `http://[${at.host}]:${at.port}` : `http://${at.host === '0.0.0.0' ? '127.0.0.1' : at.host}:${at.port}`);
    this.address = { main: url(listen), ...(preview ? { preview: url(preview) } : {}) };
  }

  /**
   * Starts HAProxy, or adopts the one an earlier daemon left running: then the config is
   * regenerated from that daemon's engine record and HAProxy reloads seamlessly (the new
   * worker takes over the listening sockets), so traffic never stops across a daemon restart.
   * @throws CutoverError('config') when the binary is missing (naming the package) or HAProxy refuses the config.
   */
  static async start(options: DataPlaneOptions): Promise<HaproxyDataPlane> {
    const binary = findHaproxy(options.haproxyBinary);
    if (!options.workDir) throw new CutoverError('internal', 'the haproxy engine needs a work directory');
    const maxPause = options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;
    if (!Number.isFinite(maxPause) || maxPause < 0) throw new CutoverError('config', `router maxPauseMs must be >= 0, got ${maxPause}`);
    const dir = options.workDir;
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const master = new HaproxyMaster(binary, dir);
    const adopting = await master.running();
    let previous: EngineState | null = null;
    if (adopting) {
      try { previous = JSON.parse(readFileSync(join(dir, 'engine.json'), 'utf8')) as EngineState; } catch { previous = null; }
    }
    const sameAt = (a: { host: string; port: number } | undefined, b: { host: string; port: number } | undefined) =>
      a?.host === b?.host && (b?.port === 0 || a?.port === b?.port);
    // A port of 0 means "any": keep the port the running HAProxy has, else pick one now (HAProxy cannot report one it chose).
    const listen = previous && sameAt(previous.main, options.listen) ? previous.main
      : { host: options.listen.host, port: options.listen.port || await freePort(options.listen.host) };
    const preview = options.preview
      ? (previous?.preview && sameAt(previous.preview, options.preview) ? previous.preview : { host: options.preview.host, port: options.preview.port || await freePort(options.preview.host) })
      : undefined;
    if (options.probeToken !== undefined && !isProbeToken(options.probeToken)) {
      throw new CutoverError('internal', 'the haproxy engine was given a probe token that is not 64 hex digits');
    }
    // A running HAProxy keeps the token its config has, whoever starts the daemon now (a new
    // keeper after a crash makes a new one): the config stays the same and needs no reload.
    const kept = previous?.probeToken !== undefined && isProbeToken(previous.probeToken) ? previous.probeToken : undefined;
    const plane = new HaproxyDataPlane(options, master, dir, listen, preview, kept ?? options.probeToken ?? newProbeToken());
    plane.#latency = await RequestLogHistogram.listen(previous?.logPort);
    plane.#relay = await LongLivedRelay.listen(dir, {
      connections: options.upstreamConnections ?? 1024,
      headersTimeoutMs: options.upstreamHeadersTimeoutMs ?? 300_000,
      // An event stream may be silent for long; HAProxy's `timeout server` bounds that silence.
      bodyTimeoutMs: 0,
    }, options.drainTimeoutMs, previous?.longLivedRelaySocket);
    if (previous) {
      // A pause belongs to the daemon that asked for it: a new one starts unpaused, as the Node router does.
      const { paused: _paused, ...map } = previous.map;
      plane.#map = map;
      plane.#splitNames = previous.splitNames ?? NO_SPLIT_NAMES;
      for (const color of COLORS) for (const [slot, at] of previous.slots[color] ?? []) plane.#slots[color].set(slot, at);
      for (const color of COLORS) plane.#relay.setUpstreams(color, [...plane.#slots[color].values()].map((at) => `http://${at}`));
    }
    let running: string | null = null;
    try { running = adopting ? readFileSync(master.configFile, 'utf8') : null; } catch { /* none: reload */ }
    await plane.#writeFiles();
    // A config HAProxy refuses ends the start: the relay's listener would keep the process alive.
    await master.check().catch(async (err: unknown) => { await plane.#relay.close(); plane.#latency?.close(); throw err; });
    // A restarted daemon whose config is the one HAProxy runs changes nothing: no reload, so
    // not even a keep-alive connection is closed. A changed config reloads seamlessly.
    if (adopting && readFileSync(master.configFile, 'utf8') !== running) await master.reload();
    else if (!adopting) await master.start();
    // Adopted without a reload, HAProxy still holds the earlier daemon's pause in memory.
    if (adopting && previous?.map['paused'] !== undefined) await plane.#commitMap(plane.#map);
    master.onExit((code) => plane.#restartAfterExit(code));
    if (options.metrics && !adopting) await plane.#serveMetrics(options.metrics);
    // Taking over from a daemon that still runs (a restart under the keeper): that daemon holds
    // the metrics port until it retires, which waits for this one to be ready. So listen as soon
    // as the port is free, in the background, bounded; traffic itself never depended on it.
    else if (options.metrics) void plane.#serveMetricsWhenFree(options.metrics);
    return plane;
  }

  get live(): Color | null {
    return (this.#map['live'] as Color | undefined) ?? null;
  }

  get preview(): Color | null {
    return (this.#map['preview'] as Color | undefined) ?? null;
  }

  setUpstreams(color: Color, urls: string[]): Promise<void> {
    const wanted = new Set(urls.map(hostPort));
    return this.#serial(async () => {
      const slots = this.#slots[color];
      const commands: string[] = [];
      for (const [slot, at] of [...slots]) {
        if (wanted.has(at)) { wanted.delete(at); continue; }
        slots.delete(slot);
        // maint: no new request goes there; the ones running finish.
        for (const listener of ['main', 'preview']) commands.push(`set server ${listener}_${color}/r${slot} state maint`);
      }
      for (const at of wanted) {
        const slot = this.#freeSlot(color);
        slots.set(slot, at);
        const [host, port] = [at.slice(0, at.lastIndexOf(':')), at.slice(at.lastIndexOf(':') + 1)];
        for (const listener of ['main', 'preview']) {
          commands.push(`set server ${listener}_${color}/r${slot} addr ${host} port ${port}`, `set server ${listener}_${color}/r${slot} state ready`);
        }
      }
      this.#relay.setUpstreams(color, [...slots.values()].map((at) => `http://${at}`));
      await this.#writeFiles();
      if (commands.length) await this.#command(commands.join('; '));
    });
  }

  switchTo(color: Color): Promise<SwitchReport & { acceptedBefore: number }> {
    return this.#serial(async () => {
      this.#assertOpen();
      if (this.#slots[color].size === 0) throw new CutoverError('refused', `cannot switch traffic to ${color}: it has no upstreams`, { details: { color } });
      const from = this.live;
      const old = otherColor(color);
      const next: Record<string, string> = { ...withoutSplit(this.#map), live: color };
      delete next[`expired_${color}`];
      // A commit that fails throws here with nothing changed: the old color stays live, with
      // its split, and nothing of it is drained.
      const rows = await this.#commitMap(next, `show stat main_${old} 2 -1`);
      this.#split = null;
      // The relay's drain starts only once the map is committed. A WebSocket or event stream
      // HAProxy routed to the old color before the commit is either open in the relay now (so
      // in this drain) or not yet there (and then sent to the new color, see #leaving).
      const relayDrained = this.#relay.switchTo(color);
      const switchedAt = performance.timeOrigin + performance.now();
      const row = backendRow(rows, `main_${old}`);
      // HAProxy's row read with the commit, plus what the relay had accepted for the old color
      // by now: from here on it sends what HAProxy still routes there to the new one (#leaving).
      const stats = listenerStatsOf(row, this.#relay.counters(old, 'main'));
      const drained = this.#drain(old, stats.inFlight, relayDrained);
      return { from, to: color, switchedAt, drained, acceptedBefore: stats.requests + stats.inFlight };
    });
  }

  setPreview(color: Color | null): Promise<void> {
    return this.#serial(async () => {
      if ((this.preview ?? null) === color) return;
      const next = { ...this.#map };
      if (color === null) delete next['preview'];
      else next['preview'] = color;
      await this.#commitMap(next);
    });
  }

  setMaintenance(state: MaintenanceState): Promise<void> {
    const page = state.on ? renderMaintenancePage(state) : null; // throws for an unreadable page before anything changes
    return this.#serial(async () => {
      const next = { ...this.#map };
      if (page) {
        next['maintenance'] = '1';
        next['retry'] = page.headers[page.headers.indexOf('retry-after') + 1]!;
        next['page'] = page.body.toString('base64');
      } else {
        delete next['maintenance'];
        delete next['retry'];
        delete next['page'];
      }
      await this.#commitMap(next);
      this.#maintenance = page !== null;
    });
  }

  /** Holds new main-listener requests (pause-hold.ts) until `unpause()` or maxPauseMs. Idempotent. */
  pause(): Promise<void> {
    return this.#serial(async () => {
      this.#assertOpen();
      if (this.#map['paused'] !== '1') await this.#commitMap({ ...this.#map, paused: '1' });
    });
  }

  /** Releases every held request (each one routed as the map says now). Idempotent. */
  unpause(): Promise<void> {
    return this.#serial(async () => {
      if (this.#map['paused'] === undefined) return;
      const { paused: _paused, ...next } = this.#map;
      await this.#commitMap(next);
    });
  }

  validateSplit(split: SplitConfig): void {
    this.#validSplit(split);
  }

  /**
   * A weighted step (or cohort) is one map commit: the canary, its bucket threshold and the
   * cohort values. Only new header or cookie names (another `progressive:` config) change the
   * generated config, and then HAProxy reloads seamlessly first.
   */
  setSplit(split: SplitConfig): Promise<void> {
    let valid: TrafficSplit;
    try { valid = this.#validSplit(split); } catch (err) { return Promise.reject(err); }
    return this.#serial(async () => {
      this.#assertOpen();
      const rule = valid.rule;
      if (rule.live !== this.live) throw new CutoverError('refused', `cannot split traffic: ${rule.live} is no longer live`);
      const names = splitNamesOf(rule);
      if (!sameSplitNames(names, this.#splitNames)) {
        const previous = this.#splitNames;
        this.#splitNames = names;
        try {
          await this.#writeFiles();
          await this.#master.check();
          await this.#master.reload();
        } catch (err) {
          this.#splitNames = previous;
          await this.#writeFiles().catch(() => {});
          throw err;
        }
      }
      if (valid.usesCanary) this.#relay.serving(valid.canary);
      await this.#commitMap({ ...withoutSplit(this.#map), ...splitMapEntries(rule) });
      this.#split = valid;
    });
  }

  clearSplit(): Promise<void> {
    return this.#serial(async () => {
      this.#split = null;
      await this.#commitMap(withoutSplit(this.#map));
    });
  }

  stats(): DataPlaneState {
    const split = this.#split;
    return {
      live: this.live,
      preview: this.preview,
      maintenance: this.#maintenance,
      paused: this.#map['paused'] === '1',
      split: split === null ? null : { weights: { ...split.config.weights }, canary: split.canary, canaryShare: split.canaryShare },
    };
  }

  async traffic(): Promise<Record<Color, ColorTraffic>> {
    const rows = parseShowStat(await this.#command('show stat -1 2 -1'));
    const out = {} as Record<Color, ColorTraffic>;
    for (const color of COLORS) {
      out[color] = {
        main: listenerStatsOf(backendRow(rows, `main_${color}`), this.#relay.counters(color, 'main')),
        preview: listenerStatsOf(backendRow(rows, `preview_${color}`), this.#relay.counters(color, 'preview')),
        websockets: this.#relay.websockets(color),
      };
    }
    return out;
  }

  async metricsText(): Promise<string> {
    const { rows, oldest } = await this.#readStats();
    return prometheusText(rows, this.live, oldest, this.#latency, this.#relayed);
  }

  async counters(): Promise<RouterCounters> {
    const { rows, oldest } = await this.#readStats();
    return routerCountersOf(rows, oldest, this.#latency, this.#relayed);
  }

  /** The relay's WebSocket handshakes and event streams, which HAProxy's per-color rows do not hold (haproxy-metrics.ts). */
  readonly #relayed: RelayedTraffic = (color, listener) => this.#relay.counters(color, listener);

  /** `show stat`, plus `show sess` for the oldest request in flight when any backend is busy. */
  async #readStats(): Promise<{ rows: StatRow[]; oldest: Record<Color, number> }> {
    const rows = parseShowStat(await this.#command('show stat -1 2 -1'));
    const busy = COLORS.some((c) => Number(backendRow(rows, `main_${c}`)?.['scur'] ?? 0) > 0);
    const inHaproxy = busy ? oldestSessions(await this.#command('show sess')) : { blue: 0, green: 0 };
    // An event stream in the relay is a request in flight too, as on the Node engine.
    const oldest = { blue: Math.max(inHaproxy.blue, this.#relay.oldestInFlightSeconds('blue')), green: Math.max(inHaproxy.green, this.#relay.oldestInFlightSeconds('green')) };
    return { rows, oldest };
  }

  /** HAProxy's master and the worker that serves now, for CPU accounting (benchmarks, soak runs). */
  async processIds(): Promise<{ master: number | null; worker: number | null }> {
    return { master: await this.#master.masterPid(), worker: await workerPid(this.#master.runtimeSocket) };
  }

  /** The data plane binds its own listeners (HAProxy does): nothing to start accepting on. */
  async startAccepting(): Promise<void> {}

  /** Settles once every drain of `color` under way has ended (sessions gone, or cut at drainTimeout). */
  async drained(color: Color): Promise<void> {
    await Promise.all([...this.#drains].filter((d) => d.color === color).map((d) => d.report));
  }

  /**
   * A daemon restart: the new daemon has adopted this HAProxy, so this one lets go of it
   * without stopping it (HAProxy keeps serving throughout, so not one connection is refused)
   * and closes only what is its own: the metrics listener and the request-log socket.
   */
  async retire(): Promise<RetireReport> {
    const started = performance.now();
    if (this.#closed) return { drained: true, durationMs: 0 };
    this.#closed = true;
    this.#master.onExit(() => {});
    await this.#queue.catch(() => {});
    await this.#relay.retire();
    this.#latency?.close();
    if (this.#metricsServer) {
      const server = this.#metricsServer;
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    }
    return { drained: true, durationMs: performance.now() - started };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const drain of [...this.#drains]) drain.expire();
    await this.#queue.catch(() => {});
    // Before HAProxy stops, so that each WebSocket's 1001 still reaches its client.
    await this.#relay.close();
    await this.#master.stop();
    this.#latency?.close();
    if (this.#metricsServer) {
      const server = this.#metricsServer;
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    }
  }

  // --- internals ---

  #validSplit(split: SplitConfig): TrafficSplit {
    const live = this.live;
    if (live === null) throw new CutoverError('refused', 'cannot split traffic: no color is live yet');
    const next = new TrafficSplit(split, live);
    assertConfigSafeNames(splitNamesOf(next.rule));
    if (next.usesCanary && this.#slots[next.canary].size === 0) {
      throw new CutoverError('refused', `cannot split traffic: ${next.canary} has no upstreams`, { details: { color: next.canary } });
    }
    return next;
  }

  /** Lowest-numbered free slots are not reused at once: a slot just freed may still be finishing requests. */
  #freeSlot(color: Color): number {
    for (let tries = 0; tries < SERVER_SLOTS; tries++) {
      const slot = this.#nextSlot[color];
      this.#nextSlot[color] = slot % SERVER_SLOTS + 1;
      if (!this.#slots[color].has(slot)) return slot;
    }
    throw new CutoverError('refused', `${color} would need more than ${SERVER_SLOTS} replicas`);
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step);
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CutoverError('refused', 'the router is closed');
  }

  async #command(line: string): Promise<string> {
    const out = await runtimeCommand(this.#master.runtimeSocket, line);
    if (/^(Unknown command|No such|Unable|Require|'set server'|Invalid|Missing)/m.test(out)) {
      throw new CutoverError('internal', `HAProxy refused \`${line.slice(0, 120)}\`: ${out.trim().split('\n')[0]}`);
    }
    return out;
  }

  /**
   * Replaces the whole routing map in one transaction and, on the same Runtime API line (so
   * with no request in between on a one-thread HAProxy), runs `andThen` (a `show stat`).
   * The map file is written first: a HAProxy restarted after this sees the new state.
   */
  async #commitMap(next: Record<string, string>, andThen?: string): Promise<StatRow[]> {
    const previous = this.#map;
    this.#map = next;
    try {
      await this.#writeFiles();
      const out = await this.#commitMapVia((line) => this.#command(line), next, andThen);
      return andThen ? parseShowStat(out) : [];
    } catch (err) {
      this.#map = previous;
      await this.#writeFiles().catch(() => {});
      throw err;
    }
  }

  /** `prepare map`, every entry, `commit map` (then `andThen` on the same line) through `send`; returns the last reply. */
  async #commitMapVia(send: (line: string) => Promise<string>, next: Record<string, string>, andThen?: string): Promise<string> {
    const prepared = await send(`prepare map ${this.#mapFile}`);
    const version = /New version created: (\d+)/.exec(prepared)?.[1];
    if (!version) throw new CutoverError('internal', `HAProxy did not prepare a map version: ${prepared.trim()}`);
    const adds = routingMapLines(next).map(([k, v]) => `add map @${version} ${this.#mapFile} ${k} ${v}`);
    return send([...adds, `commit map @${version} ${this.#mapFile}`, ...(andThen ? [andThen] : [])].join('; '));
  }

  async #writeFiles(): Promise<void> {
    await writeFileAtomic(this.#mapFile, routingMapLines(this.#map).map(([k, v]) => `${k} ${v}\n`).join(''));
    const state: EngineState = {
      main: this.#listen,
      preview: this.#previewAt,
      slots: { blue: [...this.#slots.blue], green: [...this.#slots.green] },
      map: this.#map,
      logPort: this.#latency?.port,
      longLivedRelaySocket: this.#relay.socketPath,
      splitNames: this.#splitNames,
      probeToken: this.probeToken,
    };
    await writeFileAtomic(this.#stateFile, `${JSON.stringify(state)}\n`);
    const pauseLuaFile = join(this.#dir, 'pause-hold.lua');
    await writeFileAtomic(pauseLuaFile, pauseHoldLua(this.#mapFile, this.#options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS));
    const drainCutLuaFile = join(this.#dir, 'drain-cut.lua');
    await writeFileAtomic(drainCutLuaFile, drainCutLua(this.#options.drainTimeoutMs));
    const joinLinesLuaFile = join(this.#dir, 'join-header-lines.lua');
    await writeFileAtomic(joinLinesLuaFile, joinHeaderLinesLua());
    await writeFileAtomic(this.#master.configFile, haproxyConfig({
      dir: this.#dir,
      mapFile: this.#mapFile,
      runtimeSocket: this.#master.runtimeSocket,
      main: this.#listen,
      preview: this.#previewAt,
      drainTimeoutMs: this.#options.drainTimeoutMs,
      upstreamHeadersTimeoutMs: this.#options.upstreamHeadersTimeoutMs ?? 300_000,
      trustedProxies: this.#options.trustedProxies ?? [],
      maxRequestBodyBytes: this.#options.maxRequestBodyBytes,
      maxConnections: this.#options.maxConnections,
      servers: this.#slots,
      logPort: this.#latency?.port,
      split: this.#splitNames,
      probeToken: this.probeToken,
      pauseLuaFile,
      drainCutLuaFile,
      joinLinesLuaFile,
      longLivedRelaySocket: this.#relay.socketPath,
      relaySockets: { main: join(this.#dir, 'relay-main.sock'), preview: join(this.#dir, 'relay-preview.sock') },
    }));
  }

  /**
   * The whole drain of an old color: its requests in HAProxy (below) and its WebSockets and
   * event streams in the relay, reported together as the Node router reports them.
   */
  #drain(color: Color, inFlight: number, relayed: Promise<DrainReport>): Promise<DrainReport> {
    const report = Promise.all([this.#requestDrain(color, inFlight), relayed]).then(([requests, longLived]): DrainReport => ({
      color,
      completed: requests.completed + longLived.completed,
      timedOut: requests.timedOut + longLived.timedOut,
      websockets: longLived.websockets,
      durationMs: Math.max(requests.durationMs, longLived.durationMs),
    }));
    // close() ends both parts itself (the request drains below, the relay's in relay.close()).
    const drain: Drain = { color, report, expire: () => {} };
    this.#drains.add(drain);
    void report.then(() => this.#drains.delete(drain));
    return report;
  }

  /**
   * Waits for the old color's main-listener requests (`scur` in `show stat`) to end. At
   * drainTimeout the rest are cut (`shutdown sessions`), with the expired flag making HAProxy
   * answer 504 rather than 502 to those still waiting for headers.
   */
  #requestDrain(color: Color, inFlight: number): Promise<DrainReport> {
    const started = performance.now();
    const report = (completed: number, timedOut: number): DrainReport => ({ color, completed, timedOut, durationMs: Math.round(performance.now() - started) });
    if (inFlight === 0) return Promise.resolve(report(0, 0));
    let settle!: (r: DrainReport) => void;
    const drain: Drain = {
      color,
      report: new Promise<DrainReport>((resolve) => { settle = resolve; }),
      expire: () => end(report(0, inFlight)),
    };
    let finished = false;
    const end = (r: DrainReport) => { if (!finished) { finished = true; this.#drains.delete(drain); clearInterval(timer); settle(r); } };
    this.#drains.add(drain);
    const deadline = started + this.#options.drainTimeoutMs;
    const timer = setInterval(() => {
      void this.#serial(async () => {
        if (finished) return;
        const left = Number(backendRow(parseShowStat(await this.#command(`show stat main_${color} 2 -1`)), `main_${color}`)?.['scur'] ?? 0);
        // Switched back meanwhile: the color serves again, nothing is cut.
        if (left === 0 || this.live === color) return end(report(inFlight - Math.min(left, inFlight), 0));
        if (performance.now() < deadline) return;
        await this.#commitMap({ ...this.#map, [`expired_${color}`]: '1' });
        const cut = Array.from({ length: SERVER_SLOTS }, (_, i) => `shutdown sessions server main_${color}/r${i + 1}`);
        await this.#command(cut.join('; '));
        end(report(Math.max(0, inFlight - left), Math.min(left, inFlight)));
      }).catch(() => {});
    }, DRAIN_POLL_MS);
    return drain.report;
  }

  #restartAfterExit(code: number | null): void {
    if (this.#closed) return;
    process.stderr.write(`cutover daemon: HAProxy exited (code ${code}); restarting it with the current routing state\n`);
    setTimeout(() => {
      if (this.#closed) return;
      void this.#serial(async () => {
        await this.#writeFiles();
        await this.#master.start();
      }).catch((err: Error) => {
        process.stderr.write(`cutover daemon: HAProxy could not be restarted: ${err.message}\n`);
        this.#restartAfterExit(null);
      });
    }, RESTART_BACKOFF_MS);
  }

  async #serveMetricsWhenFree(at: { host: string; port: number }): Promise<void> {
    const deadline = performance.now() + METRICS_TAKEOVER_MS;
    for (;;) {
      try {
        return await this.#serveMetrics(at);
      } catch (err) {
        if (this.#closed) return;
        if (performance.now() > deadline) {
          process.stderr.write(`cutover daemon: ${(err as Error).message}; the metrics listener stays off until the next restart\n`);
          return;
        }
        // Data-plane I/O pacing (a port held by the old process): real time, not the Clock.
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async #serveMetrics(at: { host: string; port: number }): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this listener serves GET /metrics only\n');
        return;
      }
      this.metricsText().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new CutoverError('config', `router.metrics: cannot listen on ${at.host}:${at.port}: ${err.code ?? err.message}`)));
      server.listen({ host: at.host, port: at.port }, resolve);
    });
    this.#metricsServer = server;
    const a = server.address() as { port: number };
    this.address.metrics = `http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${a.port}`;
  }
}
