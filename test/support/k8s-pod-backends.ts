import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { Counter, Histogram, Registry } from 'prom-client';
import { openPodTunnel, type PodTunnel } from '../../src/drivers/kubernetes/pod-tunnel.ts';
import type { TestCluster } from './k8s-test-cluster.ts';

/** The container port every test template declares. */
export const APP_PORT = 8080;

/** The readiness gate of test pods; see scripts/k8s-testenv/stages/pod-gated.yaml. */
export const BACKEND_GATE = 'kwok.cutover.dev/backend';

/** A release whose version contains this answers /health/ready with 503, so its pods never become Ready. */
export const SICK_MARKER = 'sick';
/** A release whose version contains this answers 200 but lists an unhealthy check: Ready, yet cutover's `json: checks` fails it. */
export const DEGRADED_MARKER = 'degraded';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

interface Backend {
  server: http.Server;
  port: number;
  tunnel?: PodTunnel;
}

/**
 * Plays the containers and the kubelet's readiness probe for the kwok pods of a namespace.
 * Every pod gets a real HTTP server on 127.0.0.1, wired to its port APP_PORT with a kwok
 * PortForward. A pod with the BACKEND_GATE readiness gate is marked Ready only once
 * GET /health/ready through the API server's port-forward answers 200, as a readiness probe
 * would. Each server answers like the example app of that pod's release, with the pod's
 * color, version and FEATURE_FLAGS_JSON read from the pod spec. Test-only.
 */
export class PodBackends {
  private readonly cluster: TestCluster;
  private readonly namespace: string;
  private readonly backends = new Map<string, Backend>();
  private readonly requests = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  // What each pod's app counts about the requests it answers, in the names most HTTP
  // instrumentation uses. In a cluster Prometheus scrapes every pod and its scrape config copies
  // the pod labels app and color onto the series; here the labels are set where they are counted.
  private readonly registry = new Registry();
  private readonly requestsTotal = new Counter({ name: 'http_requests_total', help: 'Requests answered by the pod.', labelNames: ['app', 'color', 'pod', 'code'], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer, per pod.', labelNames: ['app', 'color', 'pod'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });
  private metricsServer: http.Server | null = null;

  constructor(cluster: TestCluster, namespace: string) {
    this.cluster = cluster;
    this.namespace = namespace;
  }

  /** Wires and probes pods every 100 ms until stop(). */
  start(): void {
    const tick = () => {
      this.polling = this.sweep().catch(() => {}).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, 100);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /**
   * Serves every pod's request metrics (Prometheus text) on one loopback address, for a real
   * Prometheus to scrape; returns its `/metrics` URL. Idempotent.
   */
  async serveMetrics(): Promise<string> {
    if (!this.metricsServer) {
      const server = http.createServer((_req, res) => {
        void this.registry.metrics().then((text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.metricsServer = server;
    }
    return `http://127.0.0.1:${(this.metricsServer.address() as AddressInfo).port}/metrics`;
  }

  /** The loopback URL of a pod's server, or null when it has none (yet). */
  urlOf(pod: string): string | null {
    const backend = this.backends.get(pod);
    return backend ? `http://127.0.0.1:${backend.port}` : null;
  }

  /** Requests each pod's server answered (readiness probes included), by pod name. */
  requestCounts(): ReadonlyMap<string, number> {
    return this.requests;
  }

  private async sweep(): Promise<void> {
    const pods = await this.cluster.core.listNamespacedPod({ namespace: this.namespace });
    await Promise.all(pods.items.map((pod) => this.tend(pod).catch(() => {})));
  }

  private async tend(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name;
    if (!name || !pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
    let backend = this.backends.get(name);
    if (!backend) {
      backend = await this.serve(pod);
      this.backends.set(name, backend);
      try {
        await this.cluster.routePodPort(this.namespace, name, APP_PORT, backend.port);
      } catch (err) {
        if (!String((err as Error).message).includes('already exists')) throw err;
      }
    }
    const gated = pod.spec.readinessGates?.some((g) => g.conditionType === BACKEND_GATE);
    const gateSet = pod.status?.conditions?.some((c) => c.type === BACKEND_GATE && c.status === 'True');
    if (!gated || gateSet || pod.status?.phase !== 'Running') return;
    backend.tunnel ??= await openPodTunnel(this.cluster.kc, this.namespace, name, APP_PORT);
    const res = await fetch(`${backend.tunnel.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    await res?.body?.cancel();
    if (res?.status !== 200) return;
    const now = new Date().toISOString();
    await this.cluster.core.patchNamespacedPodStatus({
      name,
      namespace: this.namespace,
      body: { status: { conditions: [
        { type: BACKEND_GATE, status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now, reason: null, message: null },
      ] } },
    }, strategicMerge);
  }

  private async serve(pod: V1Pod): Promise<Backend> {
    const name = pod.metadata!.name!;
    const labels = pod.metadata?.labels ?? {};
    const version = pod.metadata?.annotations?.['cutover.dev/version'] ?? labels.version ?? 'unknown';
    const color = labels.color ?? 'none';
    const env = pod.spec?.containers?.[0]?.env ?? [];
    const flags = JSON.parse(env.find((e) => e.name === 'FEATURE_FLAGS_JSON')?.value ?? '{}') as unknown;
    const sick = version.includes(SICK_MARKER);
    const degraded = version.includes(DEGRADED_MARKER);
    const server = http.createServer((req, res) => {
      this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
      const started = performance.now();
      const app = labels.app ?? 'none';
      res.on('finish', () => {
        this.requestsTotal.inc({ app, color, pod: name, code: String(res.statusCode) });
        this.requestSeconds.observe({ app, color, pod: name }, (performance.now() - started) / 1000);
      });
      const headers = { 'content-type': 'application/json', 'x-cutover-color': color, 'x-cutover-version': version, 'x-pod': name };
      const send = (status: number, body: unknown) => {
        res.writeHead(status, headers);
        res.end(JSON.stringify(body));
      };
      if (req.url === '/health/live') return send(200, { status: 'ok' });
      if (req.url === '/health/ready') {
        const checks = [{ name: 'database', status: sick || degraded ? 'unhealthy' : 'healthy' }];
        return send(sick ? 503 : 200, { status: sick || degraded ? 'degraded' : 'ok', checks });
      }
      send(200, { app: 'example', pod: name, version, color, flags });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as AddressInfo).port };
  }

  /** Stops wiring and closes every server and tunnel. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await Promise.all([...this.backends.values()].map(async (b) => {
      await b.tunnel?.close();
      await new Promise<void>((resolve) => {
        b.server.closeAllConnections();
        b.server.close(() => resolve());
      });
    }));
    this.backends.clear();
    const metrics = this.metricsServer;
    this.metricsServer = null;
    if (metrics) {
      metrics.closeAllConnections();
      await new Promise<void>((resolve) => metrics.close(() => resolve()));
    }
  }
}
