import type { HealthPolicy, SmokeSpec } from '../checks/types.ts';
import type { ResolvedLocalPlatform } from '../drivers/local/config-schema.ts';
import type { ResolvedKubernetesPlatform } from '../drivers/kubernetes/config-schema.ts';
import type { ResolvedRouterConfig } from '../router/config-schema.ts';
import type { GuardrailSettings } from '../core/guardrails/config-schema.ts';
import type { ProgressiveSettings } from '../core/progressive/config-schema.ts';

/** cutover.yaml after validation and normalization: milliseconds, absolute paths, defaults filled. Read-only. */
export interface ResolvedConfig {
  readonly app: string;
  readonly configPath: string;
  readonly baseDir: string;
  /** `.cutover/` next to the config file. */
  readonly stateDir: string;
  readonly platform: ResolvedLocalPlatform | ResolvedKubernetesPlatform;
  readonly router: ResolvedRouterConfig;
  readonly health: HealthPolicy;
  readonly smoke: readonly SmokeSpec[];
  readonly gate: 'auto' | 'manual';
  readonly monitor: { readonly durationMs: number; readonly intervalMs: number; readonly failureThreshold: number };
  readonly scaleDown: { readonly delayMs: number; readonly replicas: 0 | 1 };
  readonly maintenance: { readonly pageFile?: string; readonly retryAfterSec: number; readonly message: string };
  readonly flags: Readonly<Record<string, unknown>>;
  readonly requireHealthyLive: boolean;
  /** `guardrails:` with every default filled in. */
  readonly guardrails: GuardrailSettings;
  /** `progressive:`, absent when the config has none. */
  readonly progressive?: ProgressiveSettings;
  /** Raw sections owned by other modules (migrations, analysis, notifications), validated by them. */
  readonly raw: Readonly<Record<string, unknown>>;
}
