import type { ResolvedConfig } from '../../config/resolved.ts';
import type { CheckTargets, Diagnosis, LogLine, LogOptions, PlatformDriver, PlatformStatus, ReadyReport, ReplicaEventPage, SwitchResult, TrafficProof } from '../../core/driver.ts';
import { CutoverError } from '../../core/errors.ts';
import type { OperationSignal } from '../../core/signals.ts';
import type { HeldLock, HistoryReadOptions, StateStore } from '../../core/store.ts';
import type { AppState, Color, HistoryEntry, LockHolder, Release } from '../../core/types.ts';
import type { Platform } from '../create-platform.ts';
import { DEFAULT_API_CALL_POLICY } from './api-call-policy.ts';
import { loadClusterAccess } from './cluster-access.ts';
import { isHolderGone, leaseView, thisHostProcesses, type LocalProcesses } from './lease-view.ts';
import { stateObjectName } from './object-names.ts';
import { readPlatformStatus } from './platform-status.ts';
import { RestReads } from './rest-reads.ts';
import { configMapWhere, historyOf, stateOf } from './state-record.ts';

/**
 * The kubernetes platform for commands that only read (`status`, `history`): the reads they
 * make go out as plain GETs (RestReads), so they start without importing the generated client,
 * which alone takes seconds. Anything else they might ask for (`status --probe` needs
 * port-forwards) loads the full platform then, and delegates to it.
 *
 * Returns null when the kubeconfig needs what only the generated client does (an exec plugin,
 * a proxy, ...): the caller then builds the full platform.
 */
export async function createReadOnlyKubernetesPlatform(config: ResolvedConfig, loadFull: () => Promise<Platform>): Promise<Platform | null> {
  const platform = config.platform;
  if (platform.kind !== 'kubernetes') throw new CutoverError('internal', `createReadOnlyKubernetesPlatform called for platform ${platform.kind}`);
  const found = await loadClusterAccess(platform.context);
  if ('unsupported' in found) return null;
  const reads = new RestReads({ access: found.access, namespace: platform.namespace, policy: { ...DEFAULT_API_CALL_POLICY, timeoutMs: platform.apiTimeoutMs } });
  let full: Promise<Platform> | undefined;
  const lazy = { full: () => (full ??= loadFull()), loaded: () => full };
  const names = { app: platform.app, service: platform.service, namespace: platform.namespace, state: stateObjectName(platform.app), leaseDurationMs: platform.leaseDurationMs };
  return {
    driver: new ReadOnlyKubernetesDriver(reads, names, lazy),
    store: new ReadOnlyKubernetesStore(reads, names, lazy, thisHostProcesses()),
  };
}

interface Names {
  app: string;
  service: string;
  namespace: string;
  /** The state ConfigMap and the Lease. */
  state: string;
  leaseDurationMs: number;
}

interface LazyFull {
  /** The full platform, loaded on first use. */
  full(): Promise<Platform>;
  /** The full platform if it was loaded. */
  loaded(): Promise<Platform> | undefined;
}

/** status() from RestReads; every other method is the full driver's. */
class ReadOnlyKubernetesDriver implements PlatformDriver {
  readonly kind = 'kubernetes';
  readonly reportsHealth = true;
  private readonly reads: RestReads;
  private readonly names: Names;
  private readonly lazy: LazyFull;

  constructor(reads: RestReads, names: Names, lazy: LazyFull) {
    this.reads = reads;
    this.names = names;
    this.lazy = lazy;
  }

  private async full(): Promise<PlatformDriver> {
    return (await this.lazy.full()).driver;
  }

  status(): Promise<PlatformStatus> {
    return readPlatformStatus(this.reads, this.names);
  }

  async checkConfig(): Promise<string> { return (await this.full()).checkConfig!(); }
  async provision(color: Color, release: Release, flags: Record<string, unknown>): Promise<void> { return (await this.full()).provision(color, release, flags); }
  async waitReady(color: Color, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ReadyReport> { return (await this.full()).waitReady(color, options); }
  async firstColor(): Promise<Color> { return (await this.full()).firstColor!(); }
  async targets(color: Color): Promise<CheckTargets> { return (await this.full()).targets(color); }
  async switchTraffic(to: Color, options?: { partial?: boolean }): Promise<SwitchResult> { return (await this.full()).switchTraffic(to, options); }
  async verifyTraffic(to: Color, options?: { timeoutMs?: number; partial?: boolean }): Promise<TrafficProof> { return (await this.full()).verifyTraffic(to, options); }
  async retire(color: Color, options?: { replicas?: number }): Promise<void> { return (await this.full()).retire(color, options); }
  async setFlags(color: Color, flags: Record<string, unknown>, options?: { rolling?: boolean }): Promise<void> { return (await this.full()).setFlags(color, flags, options); }
  async maintenance(on: boolean, message?: string): Promise<void> { return (await this.full()).maintenance(on, message); }
  async *logs(color: Color, options?: LogOptions): AsyncIterable<LogLine> { yield* (await this.full()).logs(color, options); }
  async replicaEvents(color: Color, options: { since: number; waitMs?: number; signal?: AbortSignal }): Promise<ReplicaEventPage> { return (await this.full()).replicaEvents!(color, options); }
  async diagnose(): Promise<Diagnosis[]> { return (await this.full()).diagnose!(); }

  async close(): Promise<void> {
    await this.reads.close();
    const loaded = this.lazy.loaded();
    if (loaded) await (await loaded).driver.close();
  }
}

/** The record and the lock read from RestReads; every write is the full store's. */
class ReadOnlyKubernetesStore implements StateStore {
  private readonly reads: RestReads;
  private readonly names: Names;
  private readonly lazy: LazyFull;
  private readonly local: LocalProcesses;

  constructor(reads: RestReads, names: Names, lazy: LazyFull, local: LocalProcesses) {
    this.reads = reads;
    this.names = names;
    this.lazy = lazy;
    this.local = local;
  }

  private async full(): Promise<StateStore> {
    return (await this.lazy.full()).store;
  }

  private async lease() {
    return leaseView(await this.reads.read('Lease', this.names.state), `${this.names.namespace}/${this.names.state}`, this.names.leaseDurationMs);
  }

  async load(): Promise<AppState | null> {
    return stateOf(await this.reads.read('ConfigMap', this.names.state), this.names.namespace, this.names.state);
  }

  async history(limit = 1000, options: HistoryReadOptions = {}): Promise<HistoryEntry[]> {
    return historyOf(await this.reads.read('ConfigMap', this.names.state), configMapWhere(this.names.namespace, this.names.state), limit, options);
  }

  async lockHolder(): Promise<LockHolder | null> {
    return (await this.lease()).holder;
  }

  async isHolderGone(holder: LockHolder): Promise<boolean> {
    return isHolderGone(await this.lease(), holder, this.local);
  }

  async save(state: AppState): Promise<void> { return (await this.full()).save(state); }
  async appendHistory(entry: HistoryEntry): Promise<void> { return (await this.full()).appendHistory(entry); }
  async acquireLock(holder: LockHolder): Promise<HeldLock> { return (await this.full()).acquireLock(holder); }
  async sendSignal(operationId: string, signal: OperationSignal): Promise<void> { return (await this.full()).sendSignal(operationId, signal); }
  async signals(operationId: string): Promise<ReadonlySet<OperationSignal>> { return (await this.full()).signals(operationId); }
  async clearSignals(operationId: string): Promise<void> { return (await this.full()).clearSignals(operationId); }
}
