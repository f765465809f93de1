import { isCutoverError } from '../core/errors.ts';
import type { LogLine } from '../core/driver.ts';
import { COLORS } from '../core/types.ts';
import { openContext, type CommandContext } from '../cli/context.ts';
import { readStatus } from '../core/operations/status-report.ts';
import { HISTORY_ENTRIES, LOG_TAIL_LINES, tailLines, trafficMarkers, type AppView } from './app-view.ts';
import { runAction, type DashboardAction } from './dashboard-actions.ts';
import { resolveDashboardSettings } from './config-schema.ts';
import { PrometheusTrafficFeed } from './prometheus-traffic-feed.ts';
import { RouterTrafficFeed } from './router-traffic-feed.ts';
import type { NoTrafficFeed, TrafficFeed } from './traffic-feed.ts';

/**
 * One app the dashboard shows. `view` reads cutover's record and the platform as `status`
 * does; `act` runs a core operation. Implementations never throw from `view` for an
 * unreachable platform: they report it in the view.
 */
export interface DashboardApp {
  readonly name: string;
  readonly platform: string;
  /** False when this dashboard can only watch the app (e.g. a namespace's other apps, seen without their config). */
  readonly actionable: boolean;
  view(): Promise<AppView>;
  /** Where its charts come from: the router, the configured Prometheus, or nothing (and what to configure). */
  readonly traffic: TrafficFeed | NoTrafficFeed;
  /** Runs `action` through the core. @throws CutoverError as the CLI verb would. */
  act(action: DashboardAction): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * An app known by its config file: the full view, and actions through the same wiring the CLI
 * uses (`openContext`), each in a context of its own so the lock names the action as its holder.
 */
export class ConfiguredApp implements DashboardApp {
  readonly name: string;
  readonly platform: string;
  readonly actionable = true;
  readonly traffic: TrafficFeed | NoTrafficFeed;
  private readonly configPath: string;
  private readonly reader: CommandContext;

  private constructor(configPath: string, reader: CommandContext) {
    this.configPath = configPath;
    this.reader = reader;
    this.name = reader.config.app;
    this.platform = reader.config.platform.kind;
    this.traffic = chartSource(reader);
  }

  /** @throws CutoverError('config') for a config that does not load. */
  static async open(configPath: string): Promise<ConfiguredApp> {
    const reader = await openContext({ config: configPath, yes: true }, 'dashboard');
    // The view must never write progress lines into the daemon's log every second.
    reader.reporter.close();
    return new ConfiguredApp(configPath, reader);
  }

  async view(): Promise<AppView> {
    const { platform } = this.reader;
    const view: AppView = { app: this.name, platform: this.platform, generatedAt: Date.now(), actions: true, status: null, state: null, history: [], logs: { blue: [], green: [] }, markers: [] };
    try {
      view.status = (await readStatus(this.reader.deps)).report;
    } catch (err) {
      if (!isCutoverError(err)) throw err;
      view.statusError = err.message;
    }
    view.state = await platform.store.load().catch(() => null);
    view.history = await platform.store.history(HISTORY_ENTRIES).catch(() => []);
    view.markers = trafficMarkers(view.history);
    const lines: LogLine[] = [];
    for (const color of COLORS) {
      try {
        for await (const line of platform.driver.logs(color, { tail: LOG_TAIL_LINES, signal: AbortSignal.timeout(5_000) })) lines.push(line);
      } catch {
        // Logs are a convenience: a color whose logs cannot be read shows none.
      }
    }
    view.logs = tailLines(lines);
    return view;
  }

  async act(action: DashboardAction): Promise<unknown> {
    const ctx = await openContext({ config: this.configPath, yes: true }, `dashboard ${action.action}`);
    try {
      return await runAction(ctx.deps, action);
    } finally {
      await ctx.close();
    }
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}

/**
 * The charts' source for an app: `dashboard.traffic.prometheus` when configured, else the
 * router's own metrics when the platform has the router, else none, saying what to configure.
 */
function chartSource(reader: CommandContext): TrafficFeed | NoTrafficFeed {
  const { prometheus } = resolveDashboardSettings(reader.config.raw.dashboard);
  if (prometheus) return new PrometheusTrafficFeed(reader.config.app, prometheus);
  const driver = reader.platform.driver;
  if (driver.routerCounters) return new RouterTrafficFeed(() => driver.routerCounters!());
  return {
    source: {
      kind: 'none',
      hint: `No traffic source: the ${reader.config.platform.kind} platform has no cutover router to count requests. `
        + `Set dashboard.traffic.prometheus.address in ${reader.config.configPath} to the Prometheus that scrapes ${reader.config.app} `
        + '(and dashboard.traffic.prometheus.requests, errors and latency if its metrics are not http_requests_total and http_request_duration_seconds with app and color labels) '
        + 'to chart requests per second, error rate and p50/p99 per color.',
    },
  };
}
