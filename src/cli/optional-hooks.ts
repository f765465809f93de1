import type { ResolvedConfig } from '../config/resolved.ts';
import type { AnalysisHook, LifecycleEvent, MigrationsHook, Reporter } from '../core/deps.ts';
import { systemClock } from '../core/deps.ts';
import type { PlatformDriver } from '../core/driver.ts';
import type { LifecycleHooks } from '../core/lifecycle-hooks.ts';

const NOTIFY_FLUSH_MS = 3_000;

export interface OptionalHooks {
  migrations?: MigrationsHook;
  analysis?: AnalysisHook;
  notify?: (event: LifecycleEvent) => void;
  lifecycle?: LifecycleHooks;
  close?: () => Promise<void>;
}

/**
 * Migrations, analysis and notifications are wired only when their config sections exist, so
 * a plain local deploy never loads a SQL parser, a database driver or a Prometheus client.
 */
export async function optionalHooks(config: ResolvedConfig, reporter: Reporter, driver: PlatformDriver): Promise<OptionalHooks> {
  const hooks: OptionalHooks = {};
  const closers: Array<() => Promise<void>> = [];
  if (config.raw.migrations !== undefined) {
    const { resolveMigrationsSection, createMigrationRunner, createMigrationsHook } = await import('../migrations/index.ts');
    const section = resolveMigrationsSection(config.raw.migrations, config.configPath, process.env);
    if (section) {
      const runner = createMigrationRunner(section, { baseDir: config.baseDir, log: (line: string) => reporter.progress(line) });
      hooks.migrations = createMigrationsHook(runner);
      closers.push(() => runner.close());
    }
  }
  if (config.raw.analysis !== undefined) {
    const { analysisSchema } = await import('../metrics/config-schema.ts');
    const { createProviders } = await import('../metrics/registry.ts');
    const { createAnalysisHook } = await import('../metrics/analysis-hook.ts');
    const providers = createProviders({ routerMetrics: driver.routerCounters?.bind(driver), baseDir: config.baseDir, env: process.env, clock: systemClock });
    hooks.analysis = createAnalysisHook(analysisSchema.parse(config.raw.analysis), {
      providers,
      clock: systemClock,
      onMeasurement: (m) => reporter.progress(`${m.metric} #${m.index + 1}: ${m.phase}${m.value === undefined ? '' : ` (${round(m.value)}${m.baselineValue === undefined ? '' : ` vs ${round(m.baselineValue)}`})`}`),
      onVerdict: (v) => {
        if (v.verdict !== 'successful') reporter.warn(`analysis ${v.metric}: ${v.verdict}: ${v.reason}`);
      },
    });
  }
  if (config.raw.notifications !== undefined) {
    const { notificationsSchema } = await import('../metrics/config-schema.ts');
    const { createNotifier } = await import('../notify/create-notifier.ts');
    const notifier = createNotifier(notificationsSchema.parse(config.raw.notifications));
    if (notifier) {
      // Fire-and-forget: a slow or failing webhook never holds up a phase or a rollback.
      hooks.notify = (event) => notifier.notify(event);
      closers.push(async () => { await notifier.close(NOTIFY_FLUSH_MS); });
    }
  }
  if (config.raw.hooks !== undefined) {
    const { createHookRunner } = await import('../hooks/hook-runner.ts');
    hooks.lifecycle = createHookRunner(config.raw.hooks, config.baseDir);
  }
  if (closers.length > 0) hooks.close = async () => { await Promise.all(closers.map((close) => close())); };
  return hooks;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}
