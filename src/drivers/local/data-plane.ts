import type { Color } from '../../core/types.ts';
import type { ListenerStats, RetireReport, RouterOptions, SplitConfig, SwitchReport } from '../../router/router.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import type { MaintenanceState } from '../../router/maintenance-page.ts';

/** Which program carries the traffic: cutover's own Node router, or HAProxy driven through its Runtime API. */
export type RouterEngine = 'node' | 'haproxy';

/** Everything the daemon needs to start a data plane: the router's options plus the engine's own. */
export interface DataPlaneOptions extends RouterOptions {
  /** Default `node`. */
  engine?: RouterEngine;
  /** The HAProxy binary (engine `haproxy`); default: `haproxy` on PATH, then /usr/sbin/haproxy. */
  haproxyBinary?: string;
  /** Directory for the engine's own files (generated config, sockets); engine `haproxy` needs it. */
  workDir?: string;
}

/** What the data plane enforces right now, as set by the daemon: answered without I/O. */
export interface DataPlaneState {
  live: Color | null;
  preview: Color | null;
  maintenance: boolean;
  paused: boolean;
  /** The split in force: its weights, the canary color and the canary's share of non-cohort traffic. */
  split: { weights: Partial<Record<Color, number>>; canary: Color; canaryShare: number } | null;
}

/** The data plane's own counters for one color, per listener. */
export interface ColorTraffic {
  main: ListenerStats;
  preview: ListenerStats;
  /** Upgraded (WebSocket) connections open to this color now. */
  websockets: number;
}

/**
 * The data plane the local daemon drives: the listeners, the live/preview routing, drain,
 * maintenance, pause and traffic splits, and the counters that prove a switch. Every setter
 * resolves once the change is enforced (for the Node router at once; for HAProxy once the
 * Runtime API acknowledged it). Calls are applied in the order they are made.
 */
export interface DataPlane {
  readonly engine: RouterEngine;
  /** URLs of the listeners (`http://host:port`). */
  readonly address: { main: string; preview?: string; metrics?: string };
  /**
   * What cutover's own switch probes send as `x-cutover-probe` (probe-token.ts): only they are
   * told the color that served them. `DataPlaneOptions.probeToken` when given, except that an
   * adopted HAProxy keeps the token its running config has.
   */
  readonly probeToken: string;
  /** The color the main listener serves, or null before the first switch. */
  readonly live: Color | null;
  /** The color the preview listener serves. */
  readonly preview: Color | null;
  /** Points `color` at these replica origins; idempotent. Removed replicas finish what they have in flight. */
  setUpstreams(color: Color, urls: string[]): Promise<void>;
  /**
   * Makes `color` live in one atomic step and ends any split: every request accepted after
   * this resolves goes to `color`. The other color's requests drain for up to drainTimeoutMs,
   * then get a 504; its WebSockets get until then and a close frame 1001.
   * `acceptedBefore` is how many main-listener requests the old color had accepted at the
   * moment of the swap, read atomically with it, for the switch proof.
   */
  switchTo(color: Color): Promise<SwitchReport & { acceptedBefore: number }>;
  setPreview(color: Color | null): Promise<void>;
  /** 503 with Retry-After and the page on the main listener while on. */
  setMaintenance(state: MaintenanceState): Promise<void>;
  /** Holds new main-listener requests until `unpause()` or maxPauseMs. */
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /** Throws (as setSplit would) without changing anything. */
  validateSplit(split: SplitConfig): void;
  setSplit(split: SplitConfig): Promise<void>;
  clearSplit(): Promise<void>;
  /** The state in force, synchronously. */
  stats(): DataPlaneState;
  /** Requests per color and listener from the engine's own counters. */
  traffic(): Promise<Record<Color, ColorTraffic>>;
  /** Prometheus text in the router's metric names (`cutover_router_*`), for users' scrapers (`GET /metrics`). */
  metricsText(): Promise<string>;
  /** The same counters as JSON, for the builtin provider, the bake window and the dashboard. */
  counters(): Promise<RouterCounters>;
  /**
   * With listeners handed over by the keeper (`listenFds`): starts accepting on them, once the
   * daemon has restored its state. A no-op for an engine that binds its own listeners.
   */
  startAccepting(): Promise<void>;
  /**
   * Settles once every drain of `color` under way has ended: each request finished, or got
   * its 504 at drainTimeoutMs. Stopping a color's processes before this would cut them.
   */
  drained(color: Color): Promise<void>;
  /**
   * A daemon restart: a successor has taken over. Stops accepting here and lets the current
   * connections finish (Node router), or lets go of the engine without stopping it (HAProxy).
   */
  retire(): Promise<RetireReport>;
  /** Stops listening and every process the data plane started. Idempotent. */
  close(): Promise<void>;
}
