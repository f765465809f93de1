import type { ResolvedConfig } from '../config/resolved.ts';
import type { AnalysisHook, LifecycleEvent, MigrationsHook, Reporter } from '../core/deps.ts';

export interface OptionalHooks {
  migrations?: MigrationsHook;
  analysis?: AnalysisHook;
  notify?: (event: LifecycleEvent) => void;
  close?: () => Promise<void>;
}

/**
 * Migrations, analysis and notifications are wired only when their config sections exist, so
 * a plain local deploy never loads a SQL parser, a database driver or a Prometheus client.
 */
export async function optionalHooks(config: ResolvedConfig, reporter: Reporter): Promise<OptionalHooks> {
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
  if (closers.length > 0) hooks.close = async () => { await Promise.all(closers.map((close) => close())); };
  return hooks;
}
