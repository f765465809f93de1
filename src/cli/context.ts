import { hostname } from 'node:os';
import { loadConfigCached } from '../config/cached-load.ts';
import type { ResolvedConfig } from '../config/resolved.ts';
import type { CoreDeps } from '../core/deps.ts';
import { CutoverError } from '../core/errors.ts';
import { createPlatform, type Platform } from '../drivers/create-platform.ts';
import { checkVerifier } from './check-verifier.ts';
import { terminalGate } from './gate-prompt.ts';
import { loadSpinner, TerminalReporter } from './terminal-reporter.ts';
import { optionalHooks } from './optional-hooks.ts';

export interface GlobalOptions {
  config: string;
  json?: boolean;
  yes?: boolean;
}

/** Reads the global options when a verb runs (commander parses them after registration). */
export type Globals = () => GlobalOptions;

export interface CommandContext {
  config: ResolvedConfig;
  platform: Platform;
  reporter: TerminalReporter;
  deps: CoreDeps;
  close(): Promise<void>;
}

const READ_ONLY_COMMANDS = new Set(['status', 'history', 'logs', 'doctor', 'flags list']);
/** Read-only commands whose reads the platform can answer without its full client (see createPlatform). */
const READS_ONLY = new Set(['status', 'history']);

/** Loads the config and wires the core to the configured platform. One per CLI invocation. */
export async function openContext(options: GlobalOptions, command: string): Promise<CommandContext> {
  const config = await loadConfigCached(options.config);
  const platform = await createPlatform(config, { readOnly: READS_ONLY.has(command) });
  const { guardrails, progressive } = config;
  if (progressive && !platform.driver.shiftTraffic) {
    await platform.driver.close();
    throw new CutoverError('config', `progressive: the ${platform.driver.kind} platform cannot split traffic by percentage; remove progressive: (or use platform.kind: local)`, { details: { path: 'progressive' } });
  }
  // The router counts real traffic per color; other platforms have no such source by default
  // (nor load its module).
  const routerCounters = platform.driver.routerCounters?.bind(platform.driver);
  const traffic = routerCounters ? (await import('../metrics/builtin/router-traffic-source.ts')).routerTrafficSource(routerCounters) : undefined;
  // Commands that only read never run a phase, so they never need the spinner's modules.
  if (!READ_ONLY_COMMANDS.has(command)) await loadSpinner();
  const reporter = new TerminalReporter();
  const hooks = await optionalHooks(config, reporter, platform.driver);
  const deps: CoreDeps = {
    driver: platform.driver,
    store: platform.store,
    verifier: checkVerifier(config.health, config.smoke, (text) => reporter.progress(text)),
    gate: terminalGate({ yes: Boolean(options.yes), terminal: reporter }),
    reporter,
    settings: {
      app: config.app,
      provisionTimeoutMs: config.platform.readyTimeoutMs,
      gate: config.gate,
      monitor: config.monitor,
      scaleDown: config.scaleDown,
      requireHealthyLive: config.requireHealthyLive,
      defaultFlags: config.flags,
      progressive,
      guardrails,
      stableForMs: config.health.stableForMs,
      stableIntervalMs: config.health.intervalMs,
    },
    traffic,
    holder: { pid: process.pid, host: hostname(), command },
    ...hooks,
  };
  return {
    config,
    platform,
    reporter,
    deps,
    async close() {
      reporter.close();
      await hooks.close?.();
      await platform.driver.close();
    },
  };
}
