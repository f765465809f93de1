import { PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import type { OperationSignal } from '../../core/signals.ts';
import type { HeldLock, HistoryReadOptions, StateStore } from '../../core/store.ts';
import type { AppState, HistoryEntry, LockHolder } from '../../core/types.ts';
import type { KubeClients } from './kube-clients.ts';
import { isConflict, isNotFound, kube, kubeError, kubeOptional } from './kube-errors.ts';
import type { LeaseLock } from './lease-lock.ts';
import { configMapWhere, HISTORY_KEY, historyOf, STATE_KEY, stateOf } from './state-record.ts';

/** A ConfigMap holds at most 1 MiB; history keeps the newest entries within this budget. */
const HISTORY_MAX_BYTES = 600_000;
const SIGNAL_PREFIX = 'signal.cutover.dev/';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The state store on Kubernetes: one ConfigMap `<app>-cutover` holds the state (`state.json`),
 * the history (`history.jsonl`, newest entries kept within ~600 KB) and, as annotations,
 * requests from other processes (`signal.cutover.dev/<signal>: <operation id>`). Each kind
 * of write patches only its own key, so a signal never overwrites state and vice versa.
 * The lock is a Lease of the same name (see LeaseLock). Anyone with the kubeconfig can read
 * it all, which is what lets `status`, `history` and `resume` run from any machine.
 */
export class ConfigMapStateStore implements StateStore {
  private readonly clients: KubeClients;
  private readonly namespace: string;
  private readonly name: string;
  private readonly lock: LeaseLock;
  /** Keys the driver keeps beside the state (the maintenance snapshot). */
  private readonly where: string;

  constructor(options: { clients: KubeClients; namespace: string; name: string; lock: LeaseLock }) {
    this.clients = options.clients;
    this.namespace = options.namespace;
    this.name = options.name;
    this.lock = options.lock;
    this.where = configMapWhere(options.namespace, options.name);
  }

  private read(): Promise<V1ConfigMap | undefined> {
    return kubeOptional(`reading ${this.where}`, () => this.clients.core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace }));
  }

  /** Writes `data` keys and `annotations` (null deletes one), creating the ConfigMap if needed. */
  async patch(change: { data?: Record<string, string | null>; annotations?: Record<string, string | null>; resourceVersion?: string }): Promise<void> {
    const body = {
      metadata: { annotations: change.annotations, resourceVersion: change.resourceVersion },
      data: change.data,
    };
    try {
      await this.clients.core.patchNamespacedConfigMap({ name: this.name, namespace: this.namespace, body }, mergePatch);
      return;
    } catch (err) {
      if (!isNotFound(err) || change.resourceVersion) throw err;
    }
    const strip = (r?: Record<string, string | null>) =>
      r ? Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => e[1] !== null)) : undefined;
    try {
      await this.clients.core.createNamespacedConfigMap({
        namespace: this.namespace,
        body: {
          metadata: { name: this.name, labels: { 'app.kubernetes.io/managed-by': 'cutover' }, annotations: strip(change.annotations) },
          data: strip(change.data),
        },
      });
    } catch (err) {
      // Created by someone else in between: patch that one.
      if (!isConflict(err)) throw err;
      await this.clients.core.patchNamespacedConfigMap({ name: this.name, namespace: this.namespace, body }, mergePatch);
    }
  }

  /** A driver-owned key of the ConfigMap (e.g. the maintenance snapshot), parsed; null when absent. */
  async readKey<T>(key: string): Promise<T | null> {
    const text = (await this.read())?.data?.[key];
    return text ? (JSON.parse(text) as T) : null;
  }

  async writeKey(key: string, value: unknown): Promise<void> {
    await kube(`writing ${key} in ${this.where}`, () => this.patch({ data: { [key]: value === null ? null : JSON.stringify(value) } }));
  }

  async load(): Promise<AppState | null> {
    return stateOf(await this.read(), this.namespace, this.name);
  }

  async save(state: AppState): Promise<void> {
    // A merge patch replaces the key's value in one write: readers see old or new, never a mix.
    await kube(`saving state to ${this.where}`, () => this.patch({ data: { [STATE_KEY]: JSON.stringify(state) } }));
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    const line = JSON.stringify(entry);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cm = await this.read();
      const lines = (cm?.data?.[HISTORY_KEY] ?? '').split('\n').filter(Boolean);
      lines.push(line);
      let size = lines.reduce((n, l) => n + l.length + 1, 0);
      while (size > HISTORY_MAX_BYTES && lines.length > 1) size -= lines.shift()!.length + 1;
      try {
        // resourceVersion makes this a compare-and-swap: two appenders cannot lose an entry.
        await this.patch({ data: { [HISTORY_KEY]: `${lines.join('\n')}\n` }, resourceVersion: cm?.metadata?.resourceVersion });
        return;
      } catch (err) {
        if (isConflict(err)) continue;
        throw kubeError(err, `appending history to ${this.where}`);
      }
    }
    throw new CutoverError('unreachable', `could not append history to ${this.where}: too many concurrent writers`);
  }

  async history(limit = 1000, options: HistoryReadOptions = {}): Promise<HistoryEntry[]> {
    return historyOf(await this.read(), this.where, limit, options);
  }

  acquireLock(holder: LockHolder): Promise<HeldLock> {
    return this.lock.acquire(holder);
  }

  async lockHolder(): Promise<LockHolder | null> {
    return (await this.lock.view()).holder;
  }

  isHolderGone(holder: LockHolder): Promise<boolean> {
    return this.lock.isHolderGone(holder);
  }

  async sendSignal(operationId: string, signal: OperationSignal): Promise<void> {
    await kube(`leaving a ${signal} request in ${this.where}`, () => this.patch({ annotations: { [`${SIGNAL_PREFIX}${signal}`]: operationId } }));
  }

  async signals(operationId: string): Promise<ReadonlySet<OperationSignal>> {
    const annotations = (await this.read())?.metadata?.annotations ?? {};
    const found = new Set<OperationSignal>();
    for (const [key, value] of Object.entries(annotations)) {
      if (key.startsWith(SIGNAL_PREFIX) && value === operationId) found.add(key.slice(SIGNAL_PREFIX.length) as OperationSignal);
    }
    return found;
  }

  async clearSignals(operationId: string): Promise<void> {
    const annotations = (await this.read())?.metadata?.annotations ?? {};
    const clear = Object.fromEntries(
      Object.entries(annotations).filter(([k, v]) => k.startsWith(SIGNAL_PREFIX) && v === operationId).map(([k]) => [k, null]),
    );
    if (Object.keys(clear).length > 0) await kube(`clearing requests in ${this.where}`, () => this.patch({ annotations: clear }));
  }
}
