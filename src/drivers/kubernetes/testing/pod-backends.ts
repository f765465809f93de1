import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import type { TestCluster } from './test-cluster.ts';

/** The container port every test template declares. */
export const APP_PORT = 8080;

/** Releases whose version contains this answer /health/ready with 503 (their database is "down"). */
export const SICK_MARKER = 'sick';

interface Backend {
  server: http.Server;
  port: number;
}

/**
 * Gives every kwok pod of a namespace a real HTTP server on 127.0.0.1, wired to the pod's port
 * APP_PORT with a kwok PortForward, so port-forward through the API server reaches it. Each
 * server behaves like the example app of that pod's release: it answers with the pod's color,
 * version and FEATURE_FLAGS_JSON (read from the pod spec, as a real container would see it).
 * Test-only.
 */
export class PodBackends {
  private readonly cluster: TestCluster;
  private readonly namespace: string;
  private readonly backends = new Map<string, Backend>();
  private readonly requests = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();

  constructor(cluster: TestCluster, namespace: string) {
    this.cluster = cluster;
    this.namespace = namespace;
  }

  /** Starts wiring new pods every 150 ms until stop(). */
  start(): void {
    const tick = () => {
      this.polling = this.wire().catch(() => {}).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, 150);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** How many requests the server of each pod answered, by pod name. */
  requestCounts(): ReadonlyMap<string, number> {
    return this.requests;
  }

  private async wire(): Promise<void> {
    const pods = await this.cluster.core.listNamespacedPod({ namespace: this.namespace });
    for (const pod of pods.items) {
      const name = pod.metadata?.name;
      if (!name || this.backends.has(name) || !pod.spec?.nodeName) continue;
      const backend = await this.serve(pod);
      this.backends.set(name, backend);
      try {
        await this.cluster.routePodPort(this.namespace, name, APP_PORT, backend.port);
      } catch (err) {
        if (!String((err as Error).message).includes('already exists')) throw err;
      }
    }
  }

  private async serve(pod: V1Pod): Promise<Backend> {
    const name = pod.metadata!.name!;
    const labels = pod.metadata?.labels ?? {};
    const version = pod.metadata?.annotations?.['cutover.dev/version'] ?? labels.version ?? 'unknown';
    const color = labels.color ?? 'none';
    const env = pod.spec?.containers?.[0]?.env ?? [];
    const flags = JSON.parse(env.find((e) => e.name === 'FEATURE_FLAGS_JSON')?.value ?? '{}') as unknown;
    const sick = version.includes(SICK_MARKER);
    const server = http.createServer((req, res) => {
      this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
      const headers = { 'content-type': 'application/json', 'x-cutover-color': color, 'x-cutover-version': version, 'x-pod': name };
      const send = (status: number, body: unknown) => {
        res.writeHead(status, headers);
        res.end(JSON.stringify(body));
      };
      if (req.url === '/health/live') return send(200, { status: 'ok' });
      if (req.url === '/health/ready') {
        const checks = [{ name: 'database', status: sick ? 'unhealthy' : 'healthy' }];
        return send(sick ? 503 : 200, { status: sick ? 'degraded' : 'ok', checks });
      }
      send(200, { app: 'example', pod: name, version, color, flags });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as AddressInfo).port };
  }

  /** Stops wiring and closes every server. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await Promise.all([...this.backends.values()].map((b) => new Promise<void>((resolve) => {
      b.server.closeAllConnections();
      b.server.close(() => resolve());
    })));
    this.backends.clear();
  }
}
