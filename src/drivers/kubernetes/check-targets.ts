import net from 'node:net';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import type { CheckTargets } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube } from './kube-errors.ts';
import { colorSelector } from './object-names.ts';
import { openPodTunnel, type PodTunnel } from './pod-tunnel.ts';
import { isPodReady, livePods } from './rollout-progress.ts';

/**
 * Where checks reach a color from.
 * - `outside` (CI, a laptop): each pod through its own port-forward tunnel (see pod-tunnel.ts),
 *   and the color as a whole through a local listener that spreads connections over them,
 *   since a Service's cluster IP is not reachable from outside.
 * - `inside` (cutover runs in a pod): pod IPs directly, and the preview Service's DNS name.
 */
export type CheckRoute = 'outside' | 'inside';

export interface CheckTargetOptions {
  clients: KubeClients;
  namespace: string;
  app: string;
  previewService: string;
  route: CheckRoute;
  /** platform.port: a container port number or name; default the active Service's first targetPort. */
  port?: number | string;
}

/** Keeps the tunnels of the last targets() call open until the next call for that color or close(). */
export class CheckTargetsProvider {
  private readonly options: CheckTargetOptions;
  private readonly tunnels = new Map<string, PodTunnel>();
  private readonly balancers = new Map<Color, { server: net.Server; url: string; pods: string[]; sockets: Set<net.Socket> }>();

  constructor(options: CheckTargetOptions) {
    this.options = options;
  }

  /**
   * The addresses of `color`'s current Ready pods and of the color as a whole. Idempotent.
   * Read again each time: a pod its ReplicaSet replaced (eviction, drain, autoscaler) drops
   * out and its replacement comes in once Ready, so checks never probe a pod that is gone.
   * @throws CutoverError('not-found') when no container port can be found for the checks.
   */
  async targets(color: Color, active: V1Service): Promise<CheckTargets> {
    const { clients, namespace, app } = this.options;
    const list = await kube(`listing pods of ${app}-${color}`, () =>
      clients.core.listNamespacedPod({ namespace, labelSelector: colorSelector(app, color) }));
    const pods = livePods(list.items).filter(isPodReady)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const servicePort = active.spec?.ports?.[0];
    if (this.options.route === 'inside') {
      return {
        replicas: pods.filter((p) => p.status?.podIP).map((p) => ({
          name: p.metadata!.name!,
          url: `http://${p.status!.podIP}:${containerPort(p, this.options.port ?? servicePort?.targetPort ?? servicePort?.port)}`,
        })),
        preview: `http://${this.options.previewService}.${namespace}.svc:${servicePort?.port ?? 80}`,
      };
    }
    const replicas: CheckTargets['replicas'] = [];
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const port = containerPort(pod, this.options.port ?? servicePort?.targetPort ?? servicePort?.port);
      const key = `${name}:${port}`;
      let tunnel = this.tunnels.get(key);
      if (!tunnel) {
        tunnel = await openPodTunnel(clients.kc, namespace, name, port);
        this.tunnels.set(key, tunnel);
      }
      replicas.push({ name, url: tunnel.url });
    }
    await this.dropTunnelsExcept(color, new Set(replicas.map((r) => r.name)));
    return { replicas, preview: await this.balancer(color, replicas.map((r) => r.name)) };
  }

  private async dropTunnelsExcept(color: Color, keep: Set<string>): Promise<void> {
    const prefix = `${this.options.app}-${color}-`;
    for (const [key, tunnel] of this.tunnels) {
      if (tunnel.pod.startsWith(prefix) && !keep.has(tunnel.pod)) {
        this.tunnels.delete(key);
        await tunnel.close();
      }
    }
  }

  /** A loopback listener that hands each connection to the next pod's tunnel in turn. */
  private async balancer(color: Color, pods: string[]): Promise<string> {
    const existing = this.balancers.get(color);
    if (existing) {
      existing.pods.splice(0, existing.pods.length, ...pods);
      return existing.url;
    }
    const state = { pods, next: 0 };
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const tunnel = [...this.tunnels.values()].filter((t) => state.pods.includes(t.pod))[state.next++ % Math.max(1, state.pods.length)];
      if (!tunnel) {
        socket.destroy();
        return;
      }
      const upstream = net.connect(tunnel.localPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const drop = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', drop);
      upstream.on('error', drop);
      socket.on('close', drop);
      upstream.on('close', drop);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    this.balancers.set(color, { server, url, pods: state.pods, sockets });
    return url;
  }

  /** Closes every tunnel and listener. Idempotent. */
  async close(): Promise<void> {
    const tunnels = [...this.tunnels.values()];
    this.tunnels.clear();
    const balancers = [...this.balancers.values()];
    this.balancers.clear();
    await Promise.all([
      ...tunnels.map((t) => t.close()),
      ...balancers.map((b) => new Promise<void>((resolve) => {
        for (const socket of b.sockets) socket.destroy();
        b.server.close(() => resolve());
      })),
    ]);
  }
}

/**
 * Pure: the numeric container port for `port` (a number, or a port name to look up in the
 * pod's containers). @throws CutoverError('not-found') when a name matches no container port.
 */
export function containerPort(pod: V1Pod, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  const declared = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  if (port === undefined) {
    if (declared[0]) return declared[0].containerPort;
    throw new CutoverError('not-found', `cannot tell which port of pod ${pod.metadata?.name} to check: set platform.port`);
  }
  if (/^\d+$/.test(port)) return Number(port);
  const named = declared.find((p) => p.name === port);
  if (!named) throw new CutoverError('not-found', `pod ${pod.metadata?.name} has no container port named "${port}"; set platform.port to a number`);
  return named.containerPort;
}
