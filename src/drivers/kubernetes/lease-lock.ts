import { randomBytes } from 'node:crypto';
import type { V1Lease } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import type { HeldLock } from '../../core/store.ts';
import type { LockHolder } from '../../core/types.ts';
import { isConflict, kube, kubeError, kubeOptional, type KubeClients } from './kube-clients.ts';

/** The full holder record; holderIdentity alone is too short for a useful message. */
const HOLDER_ANNOTATION = 'cutover.dev/holder';
const ATTEMPTS = 5;

/** A read of the Lease: who holds it and whether they still renew it. */
export interface LeaseView {
  holder: LockHolder | null;
  identity: string | null;
  renewedAt: number | null;
  /** When the lease lapses unless renewed (ms since the epoch). */
  expiresAt: number | null;
  expired: boolean;
}

/**
 * The operation lock of one app: a coordination.k8s.io Lease named `<app>-cutover`. The holder
 * renews it every third of the lease duration while its operation runs; a holder that stops
 * renewing (killed, partitioned) loses it once the duration has passed. A holder on this very
 * host whose process is gone loses it at once, which is what `resume` right after a kill needs.
 *
 * Expiry compares the Lease's renewTime with the local clock, so clocks skewed by more than the
 * lease duration can hand the lock over early; keep the duration well above expected skew.
 */
export class LeaseLock {
  private readonly clients: KubeClients;
  private readonly namespace: string;
  private readonly name: string;
  private readonly durationMs: number;
  private readonly localHost: string;
  private readonly isPidAlive: (pid: number) => boolean;

  constructor(options: {
    clients: KubeClients;
    namespace: string;
    name: string;
    durationMs: number;
    /** os.hostname() of this process, to recognise holders that ran here. */
    localHost: string;
    isPidAlive: (pid: number) => boolean;
  }) {
    this.clients = options.clients;
    this.namespace = options.namespace;
    this.name = options.name;
    this.durationMs = options.durationMs;
    this.localHost = options.localHost;
    this.isPidAlive = options.isPidAlive;
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
    const identity = lease?.spec?.holderIdentity || null;
    if (!lease || !identity) return { holder: null, identity: null, renewedAt: null, expiresAt: null, expired: true };
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    const renewedAt = renewed ? new Date(renewed).getTime() : null;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? this.durationSeconds) * 1000;
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(lease.metadata?.annotations?.[HOLDER_ANNOTATION] ?? 'null') as LockHolder | null;
    } catch { /* a foreign writer; the identity still names it */ }
    holder ??= { pid: 0, host: identity, command: 'unknown', since: renewed ? new Date(renewed).toISOString() : '' };
    const expiresAt = renewedAt === null ? null : renewedAt + durationMs;
    return { holder, identity, renewedAt, expiresAt, expired: expiresAt === null || Date.now() > expiresAt };
  }

  /** True when nobody holds the lease, it expired, or its holder ran on this host and died. */
  isAbandoned(view: LeaseView): boolean {
    if (!view.holder || view.expired) return true;
    return view.holder.host === this.localHost && view.holder.pid > 0 && !this.isPidAlive(view.holder.pid);
  }

  /**
   * Takes the lock for `holder` and keeps renewing it until released.
   * @throws CutoverError('locked') naming the current holder when someone else holds it.
   */
  async acquire(holder: LockHolder): Promise<HeldLock> {
    const identity = `${holder.host}/${holder.pid}/${randomBytes(4).toString('hex')}`;
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
          annotations: { ...lease?.metadata?.annotations, [HOLDER_ANNOTATION]: JSON.stringify(holder) },
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
        return this.held(holder, identity);
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

export function lockedError(view: LeaseView): CutoverError {
  const h = view.holder;
  const seconds = (t: number) => Math.max(0, Math.round(t / 1000));
  const ago = view.renewedAt ? `, lease renewed ${seconds(Date.now() - view.renewedAt)}s ago` : '';
  // A holder on another machine cannot be checked for life; its lease lapsing is the signal.
  const lapse = view.expiresAt ? `; if that process is gone, the lock frees itself in ${seconds(view.expiresAt - Date.now())}s` : '';
  const who = h ? `${h.command} (pid ${h.pid} on ${h.host}, since ${h.since}${ago})` : 'another process';
  return new CutoverError('locked', `another operation holds the lock: ${who}${lapse}`, { details: { holder: h } });
}
