import type { z } from 'zod';
import type { ColorStatus, ReplicaEventPage } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import type { SplitConfig } from '../../router/router.ts';
import type { dashboardRequest, flagsRequest, maintenanceRequest, releaseSpecRequest, splitRequest, switchRequest } from './admin-requests.ts';
import type { RouterEngine } from './data-plane.ts';
import type { ReplicaPhase } from './replica-process.ts';
import { ShapeMismatch, arrayOf, boolean, nullable, number, object, oneOf, optional, string, type Shape } from '../../core/record-shape.ts';

/**
 * The admin protocol between the CLI and the daemon: every route, what its body is and what it
 * answers. The daemon registers its handlers against this table and the client calls through it,
 * so neither side declares the other's types. Request bodies are validated by the daemon on
 * receipt (the zod schemas in admin-requests.ts; their types are inferred here without loading
 * zod), and the answers the client relies on are checked on receipt by `RESPONSE_SHAPES` below.
 */

export type ReleaseSpecBody = z.infer<typeof releaseSpecRequest>;
export type FlagsBody = z.infer<typeof flagsRequest>;
export type SwitchBody = z.infer<typeof switchRequest>;
export type MaintenanceBody = z.infer<typeof maintenanceRequest>;
export type SplitBody = z.infer<typeof splitRequest>;
export type DashboardBody = z.infer<typeof dashboardRequest>;

/** Where a restart asked for with `POST /restart` stands, in `status`. */
export interface RestartReport {
  state: 'starting' | 'failed';
  at: number;
  detail?: string;
}

/** What `up` brought back from the previous daemon's record, and how far it got. */
export interface RestoreReport {
  color: Color;
  version: string;
  state: 'checking' | 'live' | 'failed';
  detail: string;
}

export interface LastSwitch {
  from: Color | null;
  to: Color;
  at: number;
  /** Requests the old color had accepted on the main listener at the moment of the switch. */
  oldAcceptedAtSwitch: number;
  drain?: { completed: number; timedOut: number; durationMs: number; websockets?: { completed: number; goingAway: number } };
}

export interface ReplicaInfo {
  name: string;
  port: number;
  pid: number | null;
  phase: ReplicaPhase;
  url: string;
}

export interface DaemonStatus {
  /** The process that is the daemon to the outside (`daemon.pid`): the keeper when there is one. */
  pid: number;
  /** The process running the router and supervisor: changes at a restart, `pid` does not. */
  workerPid: number;
  restart: RestartReport | null;
  restored: boolean;
  restore: RestoreReport | null;
  notes: string[];
  /** The daemon process itself, for soak runs and `status`: memory and open handles. */
  process: { rssBytes: number; activeResources: number };
  live: Color | null;
  addresses: { main: string; preview?: string; metrics?: string };
  colors: Record<Color, ColorStatus & { replicas: ReplicaInfo[] }>;
  maintenance: MaintenanceState;
  /** The split the daemon records (and restores after a restart). */
  split: SplitConfig | null;
  /** The split the router enforces right now: canary color and its share of non-cohort traffic. */
  routerSplit: { weights: Partial<Record<Color, number>>; canary: Color; canaryShare: number } | null;
}

export interface MaintenanceState {
  on: boolean;
  message?: string;
}

export interface TrafficReport {
  live: Color | null;
  engine: RouterEngine;
  lastSwitch: LastSwitch | null;
  /** Requests the old color accepted on the main listener after the last switch: 0 proves it. */
  oldAcceptedSinceSwitch: number;
  /** Requests the main listener ever handed to each color: finished ones plus those in flight. */
  acceptedOnMain: Record<Color, number>;
}

export interface SwitchAnswer {
  from: Color | null;
  to: Color;
  switchedAt: number;
  /** The color was live already: nothing moved. */
  unchanged?: true;
}

export interface Ok {
  ok: true;
}

/** Replica events: `since` is the cursor of the last page (epoch ms), `wait` the long poll in ms. */
export interface EventsQuery {
  since: number;
  wait: number;
}

/** Each route: `'METHOD /path'` (`:color` is blue or green) -> its body, its query if any, and its answer. */
export interface AdminRoutes {
  'GET /status': { body: undefined; response: DaemonStatus };
  'PUT /colors/:color': { body: ReleaseSpecBody; response: { result: 'unchanged' | 'started' } };
  'DELETE /colors/:color': { body: undefined; response: { retired: Color } };
  'PUT /colors/:color/flags': { body: FlagsBody; response: { color: Color; flags: Record<string, unknown>; rolling: boolean } };
  'POST /switch': { body: SwitchBody; response: SwitchAnswer };
  'GET /traffic': { body: undefined; response: TrafficReport };
  /** The switch probes' token (router/probe-token.ts), for the CLI's proof only: never shown to users. */
  'GET /probe-token': { body: undefined; response: { token: string } };
  'PUT /maintenance': { body: MaintenanceBody; response: MaintenanceState };
  'PUT /split': { body: SplitBody; response: Ok };
  'DELETE /split': { body: undefined; response: Ok };
  'GET /colors/:color/events': { body: undefined; query: EventsQuery; response: ReplicaEventPage };
  /** Prometheus text exposition (`text/plain`), for users' scrapers. */
  'GET /metrics': { body: undefined; response: string };
  /** The same counters as JSON, for cutover's own readers. */
  'GET /counters': { body: undefined; response: RouterCounters };
  'POST /restart': { body: undefined; response: { pid: number; workerPid: number } };
  'POST /shutdown': { body: undefined; response: Ok };
  /** Served by the dashboard once attached (dashboard/daemon-dashboard.ts): a one-time link. */
  'POST /dashboard': { body: DashboardBody; response: { url: string } };
}

export type AdminRoute = keyof AdminRoutes;
export type AdminBody<R extends AdminRoute> = AdminRoutes[R]['body'];
export type AdminResponse<R extends AdminRoute> = AdminRoutes[R]['response'];
export type AdminQuery<R extends AdminRoute> = AdminRoutes[R] extends { query: infer Q } ? Q : never;

const color = oneOf('blue', 'green');
const bothColors = <T>(shape: Shape<T>) => object({ blue: shape, green: shape });

const colorStatus = object({
  version: nullable(string),
  desired: number,
  ready: number,
  crashLooping: boolean,
  detail: optional(string),
  replicas: arrayOf(object({ name: string, url: string, phase: string })),
});

const listenerCounters = object({
  requests: object({ '2xx': number, '3xx': number, '4xx': number, '5xx': number }),
  inFlight: number,
  upstreamErrors: number,
  oldestInFlightSeconds: number,
  latency: arrayOf(number),
  latencySumSeconds: number,
});

const routerCounters: Shape<RouterCounters> = (value, path) => {
  const counters = object({ latencyBoundsSeconds: arrayOf(number), colors: bothColors(object({ main: listenerCounters, preview: listenerCounters })) })(value, path);
  for (const c of ['blue', 'green'] as const) {
    for (const listener of ['main', 'preview'] as const) {
      if (counters.colors[c][listener].latency.length !== counters.latencyBoundsSeconds.length + 1) throw new ShapeMismatch(`colors.${c}.${listener}.latency`, 'expected one count per bound plus +Inf');
    }
  }
  return counters as RouterCounters;
};

/**
 * What the client checks in the answers it reads fields of. Only the fields it uses: a daemon
 * may add more. A mismatch means a daemon from another cutover version (or a bug), and is
 * reported as such instead of surfacing later as `undefined` deep inside an operation.
 */
export const RESPONSE_SHAPES: Partial<Record<AdminRoute, Shape<unknown>>> = {
  'GET /status': object({
    pid: number,
    live: nullable(color),
    addresses: object({ main: string, preview: optional(string) }),
    colors: bothColors(colorStatus),
    maintenance: object({ on: boolean, message: optional(string) }),
    routerSplit: nullable(object({ canary: color, canaryShare: number })),
    restore: nullable(object({ color, version: string, state: oneOf('checking', 'live', 'failed'), detail: string })),
    restart: nullable(object({ state: oneOf('starting', 'failed'), at: number, detail: optional(string) })),
    notes: arrayOf(string),
  }),
  'POST /switch': object({ from: nullable(color), to: color, switchedAt: number }),
  'GET /traffic': object({
    live: nullable(color),
    lastSwitch: nullable(object({ from: nullable(color), to: color, at: number })),
    oldAcceptedSinceSwitch: number,
    acceptedOnMain: bothColors(number),
  }),
  'GET /probe-token': object({ token: string }),
  'GET /colors/:color/events': object({
    events: arrayOf(object({ id: string, kind: string, color, replica: string, at: number, restarts: number })),
    cursor: number,
    desired: number,
    ready: number,
  }),
  'GET /counters': routerCounters,
  'POST /restart': object({ pid: number, workerPid: number }),
  'POST /dashboard': object({ url: string }),
};
