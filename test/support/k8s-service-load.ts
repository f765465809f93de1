import type { PodBackends } from './k8s-pod-backends.ts';
import type { TestCluster } from './k8s-test-cluster.ts';

export interface ServiceLoadOptions {
  cluster: TestCluster;
  backends: PodBackends;
  namespace: string;
  service: string;
  /** Requests per second, sent at a fixed rate (open model). */
  ratePerSec: number;
  /** The load stops by itself after this long, so a failed test cannot leave it running. */
  maxDurationMs: number;
}

export interface ServiceLoadReport {
  sent: number;
  answered: number;
  failed: number;
}

/**
 * Real HTTP traffic to the active Service, routed the way kube-proxy would: each request goes to
 * one of the ready endpoints the Service's EndpointSlices list right now (round robin), and
 * reaches that pod's server. kwok runs no kube-proxy, so the test does the routing; which pods
 * get traffic is still decided by the cluster (the selector cutover patches). Test-only.
 */
export class ServiceLoad {
  private readonly options: ServiceLoadOptions;
  private endpoints: string[] = [];
  private next = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly report: ServiceLoadReport = { sent: 0, answered: 0, failed: 0 };

  constructor(options: ServiceLoadOptions) {
    this.options = options;
  }

  start(): this {
    const { ratePerSec, maxDurationMs } = this.options;
    const refresh = () => void this.refreshEndpoints().catch(() => {});
    refresh();
    this.timers.push(setInterval(refresh, 200));
    this.timers.push(setInterval(() => this.send(), 1000 / ratePerSec));
    this.timers.push(setTimeout(() => void this.stop(), maxDurationMs));
    return this;
  }

  /** Stops sending, waits for the requests in flight; idempotent. */
  async stop(): Promise<ServiceLoadReport> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.inFlight);
    return { ...this.report };
  }

  private async refreshEndpoints(): Promise<void> {
    const { cluster, namespace, service, backends } = this.options;
    const slices = await cluster.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
    this.endpoints = slices.items
      .flatMap((slice) => slice.endpoints ?? [])
      .filter((e) => e.conditions?.ready === true && e.targetRef?.name)
      .map((e) => backends.urlOf(e.targetRef!.name!))
      .filter((url): url is string => url !== null);
  }

  private send(): void {
    if (this.endpoints.length === 0) return;
    const url = this.endpoints[this.next++ % this.endpoints.length]!;
    this.report.sent++;
    const request = fetch(`${url}/api/orders`, { signal: AbortSignal.timeout(2_000) })
      .then(async (res) => {
        await res.body?.cancel();
        this.report.answered++;
      })
      .catch(() => { this.report.failed++; })
      .finally(() => { this.inFlight.delete(request); });
    this.inFlight.add(request);
  }
}
