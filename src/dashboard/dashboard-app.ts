import { isCutoverError } from '../core/errors.ts';
import type { LogLine } from '../core/driver.ts';
import { COLORS } from '../core/types.ts';
import { openContext, type CommandContext } from '../cli/context.ts';
import { collectStatus } from '../cli/commands/status.ts';
import { HISTORY_ENTRIES, LOG_TAIL_LINES, tailLines, trafficMarkers, type AppView } from './app-view.ts';
import { runAction, type DashboardAction } from './dashboard-actions.ts';

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
  /** The router's Prometheus text, when the platform has cutover's router. */
  metricsText?(): Promise<string>;
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
  private readonly configPath: string;
  private readonly reader: CommandContext;

  private constructor(configPath: string, reader: CommandContext) {
    this.configPath = configPath;
    this.reader = reader;
    this.name = reader.config.app;
    this.platform = reader.config.platform.kind;
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
      view.status = await collectStatus(this.reader);
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

  async metricsText(): Promise<string> {
    const driver = this.reader.platform.driver as { metricsText?: () => Promise<string> };
    if (!driver.metricsText) return '';
    return driver.metricsText();
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
