import type { z } from 'zod';
import type { Clock } from '../core/deps.ts';
import { BuiltinProvider, type RouterMetricsSource } from './builtin/builtin-provider.ts';
import { builtinQuerySchema } from './builtin/builtin-query.ts';
import { CommandProvider } from './command/command-provider.ts';
import { commandQuerySchema } from './command/command-query.ts';
import type { MetricProvider } from './provider.ts';
import { PrometheusProvider } from './prometheus/prometheus-provider.ts';
import { prometheusQuerySchema } from './prometheus/prometheus-query.ts';
import { WebProvider } from './web/web-provider.ts';
import { webQuerySchema } from './web/web-query.ts';

/** What providers may need from the place cutover runs; each takes only what it uses. */
export interface ProviderEnvironment {
  /** The local router's metrics (URL or in-process reader); absent on Kubernetes. */
  routerMetrics?: RouterMetricsSource;
  /** The config file's directory. */
  baseDir: string;
  /** The environment commands inherit. */
  env: Readonly<Record<string, string | undefined>>;
  /** The clock readings wait on (the operation's). */
  clock?: Clock;
}

/** One kind of metric source: the schema of its query in cutover.yaml, and how to make it. */
export interface ProviderDefinition<Schema extends z.ZodObject> {
  readonly querySchema: Schema;
  create(env: ProviderEnvironment): MetricProvider<z.infer<Schema>>;
}

function define<Schema extends z.ZodObject>(definition: ProviderDefinition<Schema>): ProviderDefinition<Schema> {
  return definition;
}

/** Every provider kind: one line each. The config's `provider:` union is built from this list. */
export const PROVIDERS = [
  define({ querySchema: builtinQuerySchema, create: (env) => new BuiltinProvider(env.routerMetrics, env.clock) }),
  define({ querySchema: prometheusQuerySchema, create: () => new PrometheusProvider() }),
  define({ querySchema: webQuerySchema, create: () => new WebProvider() }),
  define({ querySchema: commandQuerySchema, create: (env) => new CommandProvider({ baseDir: env.baseDir, env: env.env }) }),
] as const;

type Definitions = typeof PROVIDERS;

/** Any provider query, as written under `provider:` in cutover.yaml. */
export type ProviderQuery = z.infer<Definitions[number]['querySchema']>;
export type ProviderKind = ProviderQuery['kind'];

/** One provider per kind, ready to measure. */
export type ProviderSet = { readonly [K in ProviderKind]: MetricProvider<Extract<ProviderQuery, { kind: K }>> };

/** Makes one provider of every kind; cheap, nothing connects until a reading is taken. */
export function createProviders(env: ProviderEnvironment): ProviderSet {
  const set: Record<string, MetricProvider<never>> = {};
  for (const definition of PROVIDERS) {
    set[definition.querySchema.shape.kind.value] = definition.create(env) as MetricProvider<never>;
  }
  return set as unknown as ProviderSet;
}
