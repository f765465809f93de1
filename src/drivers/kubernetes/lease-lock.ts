import { randomBytes } from 'node:crypto';
import type { V1Lease } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import type { HeldLock } from '../../core/store.ts';
import type { LockHolder } from '../../core/types.ts';
import { HOLDER_ANNOTATION, isHolderGone, isLeaseAbandoned, leaseView, type LeaseHolderRecord, type LeaseView, type LocalProcesses } from './lease-view.ts';
import type { KubeClients } from './kube-clients.ts';
import { isConflict, kube, kubeError, kubeOptional } from './kube-errors.ts';

const ATTEMPTS = 5;

/**
 * The operation lock of one app: a coordination.k8s.io Lease named `<app>-cutover`. The holder
 * renews it every third of the lease duration while its operation runs; a holder that stops
 * renewing (killed, partitioned) loses it once the duration has passed. A holder in this very
 * pid namespace (same boot, same container) whose process is gone, or whose pid now belongs to
 * a process with another start time, loses it at once, which is what `resume` right after a
 * kill needs. A holder anywhere else (another container or VM with the same host name, a host
 * since rebooted) or a holder cutover did not record is left to its lease lapsing.
 *
 * Expiry compares the Lease's renewTime with the local clock, so clocks skewed by more than the
 * lease duration can hand the lock over early; keep the duration well above expected skew.
 */
export class LeaseLock {
  private readonly clients: KubeClients;
  private readonly namespace: string;
  private readonly name: string;
  private readonly durationMs: number;
  private readonly local: LocalProcesses;

  constructor(options: {
    clients: KubeClients;
    namespace: string;
    name: string;
    durationMs: number;
    /** This process's host and pid namespace, to recognise holders that ran here (thisHostProcesses()). */
    local: LocalProcesses;
  }) {
    this.clients = options.clients;
    this.namespace = options.namespace;
    this.name = options.name;
    this.durationMs = options.durationMs;
    this.local = options.local;
  }

  private get durationSeconds(): number {
    return Math.max(1, Math.ceil(this.durationMs / 1000));
  }

  private read(): Promise<V1Lease | undefined> {
    return kubeOptional(`reading Lease ${this.namespace}/${this.name}`, () =>
      this.clients.coordination.readNamespacedLease({ name: this.name, namespace: this.namespace }));
  }

  /** Reads the Lease without changing it. Idempotent. @throws CutoverError('unreachable') */
  async view(): Promise<LeaseView> {
    return this.interpret(await this.read());
  }

  private interpret(lease: V1Lease | undefined): LeaseView {
    return leaseView(lease, `${this.namespace}/${this.name}`, this.durationSeconds * 1000);
  }

  /**
   * True when nobody holds the lease, it expired, or its recorded holder ran in this pid
   * namespace and is gone (dead, or its pid reused by a process with another start time).
   */
  isAbandoned(view: LeaseView): boolean {
    return isLeaseAbandoned(view, this.local);
  }

  /** True when `holder` does not hold the lock any more (see isHolderGone). */
  async isHolderGone(holder: LockHolder): Promise<boolean> {
    return isHolderGone(await this.view(), holder, this.local);
  }

  /**
   * Takes the lock for `holder` and keeps renewing it until released.
   * @throws CutoverError('locked') naming the current holder when someone else holds it.
   */
  async acquire(holder: LockHolder): Promise<HeldLock> {
    const identity = `${holder.host}/${holder.pid}/${randomBytes(4).toString('hex')}`;
    const me: LockHolder = { ...holder, startTime: holder.startTime ?? this.local.startTimeOf(holder.pid) };
    const record: LeaseHolderRecord = { ...me, identity, machine: this.local.machine };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const lease = await this.read();
      const now = new Date();
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.name,
          namespace: this.namespace,
          resourceVersion: lease?.metadata?.resourceVersion,
          labels: { ...lease?.metadata?.labels, 'app.kubernetes.io/managed-by': 'cutover' },
          annotations: { ...lease?.metadata?.annotations, [HOLDER_ANNOTATION]: JSON.stringify(record) },
        },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: this.durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (lease ? 1 : 0),
        },
      };
      if (lease) {
        const view = this.interpret(lease);
        if (!this.isAbandoned(view)) throw lockedError(view);
      }
      try {
        if (lease) await this.clients.coordination.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
        else await this.clients.coordination.createNamespacedLease({ namespace: this.namespace, body });
        return this.held(me, identity);
      } catch (err) {
        // Someone else wrote the Lease between our read and write: read again and decide.
        if (isConflict(err)) continue;
        throw kubeError(err, `taking Lease ${this.namespace}/${this.name}`);
      }
    }
    throw lockedError(await this.view());
  }

  private held(holder: LockHolder, identity: string): HeldLock {
    let released: Promise<void> | undefined;
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
      const lease = await this.read().catch(() => undefined);
      if (!lease || lease.spec?.holderIdentity !== identity) return;
      lease.spec.renewTime = microTime(new Date());
      await this.clients.coordination.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease }).catch(() => {
        // A missed renewal is retried at the next tick; the lease outlives two of them.
      });
    };
    const timer = setInterval(() => {
      renewing = renewing.then(renew);
    }, Math.max(200, Math.floor(this.durationMs / 3)));
    timer.unref();
    return {
      holder,
      release: () => {
        released ??= (async () => {
          clearInterval(timer);
          await renewing;
          for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
            const lease = await this.read().catch(() => undefined);
            if (!lease || lease.spec?.holderIdentity !== identity) return;
            const annotations = { ...lease.metadata?.annotations };
            delete annotations[HOLDER_ANNOTATION];
            lease.metadata = { ...lease.metadata, annotations };
            lease.spec = { ...lease.spec, holderIdentity: undefined, acquireTime: undefined, renewTime: undefined };
            try {
              await kube(`releasing Lease ${this.namespace}/${this.name}`, () =>
                this.clients.coordination.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease }));
              return;
            } catch (err) {
              if (!(err instanceof CutoverError && err.details.status === 409)) return;
            }
          }
        })();
        return released;
      },
    };
  }
}

/**
 * A Lease's times are MicroTime, which the API server parses with exactly six fractional
 * digits. client-node 1.4 sends a Date as `toISOString()` (three digits, rejected), but passes
 * strings through untouched, so the time is written out here.
 */
function microTime(date: Date): Date {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

/** Who holds the Lease and since when, and when it frees itself if that holder is gone. */
export function lockedError(view: LeaseView): CutoverError {
  const h = view.holder;
  const seconds = (t: number) => Math.max(0, Math.round(t / 1000));
  const ago = view.renewedAt ? `, lease renewed ${seconds(Date.now() - view.renewedAt)}s ago` : '';
  // A holder elsewhere cannot be checked for life; its lease lapsing is the signal.
  const lapse = view.expiresAt ? `; if that process is gone, the lock frees itself in ${seconds(view.expiresAt - Date.now())}s` : '';
  const who = !h
    ? 'another process'
    : view.recorded
      ? `${h.command} (pid ${h.pid} on ${h.host}, since ${h.since}${ago})`
      : `"${view.identity}", a holder cutover did not record (since ${h.since || 'unknown'}${ago})`;
  return new CutoverError('locked', `another operation holds the lock: ${who}${lapse} (Lease ${view.lease})`, {
    details: {
      holder: h, lease: view.lease, identity: view.identity,
      renewedAt: view.renewedAt === null ? null : new Date(view.renewedAt).toISOString(),
      expiresAt: view.expiresAt === null ? null : new Date(view.expiresAt).toISOString(),
    },
  });
}
