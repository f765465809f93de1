import { createServer, connect, type Server } from 'node:net';

/**
 * Asks the kernel for a free loopback port. There is a window between closing the probe and
 * the app binding it; ports come from the ephemeral range, so a collision is rare, and a
 * replica that loses its port in that window moves to a fresh one (ReplicaProcess).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

/**
 * `count` distinct free loopback ports, one per replica of a color. Every probe stays open until
 * all are chosen: a probe closed before the next is opened lets the kernel hand out the same port
 * again (on Linux about once in 5,000 pairs), and two replicas would then race for one port.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const probes: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const probe = createServer();
      probe.unref();
      probes.push(probe);
      ports.push(await listenOnAnyPort(probe, host));
    }
    return ports;
  } finally {
    await Promise.all(probes.map((p) => new Promise((resolve) => (p.listening ? p.close(resolve) : resolve(undefined)))));
  }
}

function listenOnAnyPort(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('no port'));
    });
  });
}

/**
 * True when another socket holds host:port, so a listen there fails with EADDRINUSE. Binds
 * the way a Node server does (SO_REUSEADDR), and lets go at once.
 */
export function isPortHeld(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
