import net from 'node:net';
import { Writable } from 'node:stream';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';

/**
 * A loopback listener whose connections reach one port of one pod through the API
 * server's port-forward subresource, the same path `kubectl port-forward` takes.
 *
 * Why port-forward for checks from outside the cluster: it needs nothing but the
 * kubeconfig the operator already has (no Ingress, no network route to pod IPs), it
 * reaches one specific pod rather than whichever one a Service picks, and it works on
 * the kwok test cluster, where kwok forwards to a real local HTTP server. The API
 * server's service proxy was the other candidate; it refuses loopback endpoints and
 * cannot reach pod IPs that only exist on paper, so no real HTTP could cross it here.
 */
export interface PodTunnel {
  /** `http://127.0.0.1:<localPort>`: every TCP connection to it is forwarded to the pod. */
  readonly url: string;
  readonly localPort: number;
  readonly pod: string;
  /** The last error the API server or kubelet sent for a forwarded connection. */
  lastError(): string | undefined;
  /** Stops listening and drops open connections. Idempotent; never throws. */
  close(): Promise<void>;
}

/**
 * Opens a tunnel to `pod`:`port` in `namespace`. Each accepted connection opens its own
 * WebSocket to the API server, so concurrent HTTP requests do not share a stream.
 * Throws CutoverError('unreachable') only if the local listener cannot be bound;
 * forwarding failures surface per connection (the socket is closed, `lastError` says why).
 */
export async function openPodTunnel(kc: KubeConfig, namespace: string, pod: string, port: number): Promise<PodTunnel> {
  // disconnectOnErr: a message on the error channel ends that one connection.
  const forwarder = new PortForward(kc, true);
  const sockets = new Set<net.Socket>();
  let lastError: string | undefined;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = chunk.toString('utf8').trim();
        if (text) lastError = text;
        done();
      },
    });
    forwarder
      .portForward(namespace, pod, [port], socket, errors, socket)
      .then((ws) => {
        if (typeof ws === 'function') return;
        // The library does not end the local socket when the pod side closes.
        ws.on('close', () => socket.end());
        ws.on('error', (err) => {
          lastError = err.message;
          socket.destroy();
        });
        socket.on('close', () => ws.close());
      })
      .catch((err: unknown) => {
        lastError = describeUpgradeError(err);
        socket.destroy();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  }).catch((cause: unknown) => {
    throw new CutoverError('unreachable', `could not open a local port for port-forward to ${namespace}/${pod}:${port}`, { cause });
  });
  const localPort = (server.address() as net.AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${localPort}`,
    localPort,
    pod,
    lastError: () => lastError,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function describeUpgradeError(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  // The ws library rejects with an ErrorEvent whose useful part is nested.
  if (err && typeof err === 'object' && 'error' in err) return String((err as { error: unknown }).error);
  return String(err);
}
