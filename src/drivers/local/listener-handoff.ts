import type { ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server } from 'node:net';
import { listenError } from '../../router/router.ts';

/** In the keeper and the daemon worker: which inherited descriptors are which listener, as JSON `{"main":3,...}`. */
export const LISTEN_FDS_ENV = 'CUTOVER_LISTEN_FDS';
/** `keeper` or `worker`: what `cutover up --foreground` is in this process (internal). */
export const DAEMON_ROLE_ENV = 'CUTOVER_DAEMON_ROLE';

/** Descriptors of the router's listening sockets in this process. */
export interface ListenFds {
  main: number;
  preview?: number;
  metrics?: number;
}

type Address = { host: string; port: number };
const FIELDS = { main: 'router.listen', preview: 'router.preview', metrics: 'router.metrics' } as const;

/** The listeners this process was handed (`CUTOVER_LISTEN_FDS`), or null. */
export function inheritedListenFds(env: NodeJS.ProcessEnv = process.env): ListenFds | null {
  const raw = env[LISTEN_FDS_ENV];
  if (!raw) return null;
  const parsed = JSON.parse(raw) as ListenFds;
  // `{}`: the holder was handed nothing, as with a data plane that binds its own listeners.
  if (Object.keys(parsed).length === 0) return null;
  if (!Number.isInteger(parsed.main)) throw new Error(`${LISTEN_FDS_ENV} has no main descriptor: ${raw}`);
  return parsed;
}

/**
 * stdio entries 3..n for a process spawned by a holder of inherited listeners: inherited
 * descriptors are not close-on-exec, so without these a replica would keep the router's
 * listening socket open (and it would accept into a backlog nobody serves after `down`).
 */
export function inheritedFdPadding(env: NodeJS.ProcessEnv = process.env): Array<'ignore'> {
  const fds = inheritedListenFds(env);
  if (!fds) return [];
  const highest = Math.max(fds.main, fds.preview ?? 0, fds.metrics ?? 0, Number(env.NODE_CHANNEL_FD ?? 0));
  return Array.from({ length: highest - 2 }, () => 'ignore' as const);
}

/** stdio entries 3.. that pass `fds` on at the same numbers (they are 3, 4, 5 by construction). */
export function listenerStdio(fds: ListenFds): number[] {
  return [fds.main, fds.preview, fds.metrics].filter((fd): fd is number => fd !== undefined);
}

/**
 * Binds the router's listeners here and hands them to the process `spawnHolder` starts, as
 * descriptors 3, 4, 5 (named in `CUTOVER_LISTEN_FDS`, which it is given). That process holds
 * them for as long as the daemon runs, so a daemon worker can crash or be replaced while the
 * kernel keeps queueing connections instead of refusing them.
 *
 * This process must never accept on them: host names are resolved first, then every socket
 * is bound and the holder spawned and the sockets closed here without yielding to the event
 * loop (only nextTicks and microtasks run between listen and close, never an accept).
 * @throws CutoverError('config') naming the field of a listener that cannot bind.
 */
export async function bindAndHandOff(addresses: { listen?: Address; preview?: Address; metrics?: Address }, spawnHolder: (stdio: number[], env: Record<string, string>) => ChildProcess): Promise<ChildProcess> {
  const wanted = (Object.keys(FIELDS) as Array<keyof typeof FIELDS>).flatMap((name) => {
    const at = name === 'main' ? addresses.listen : addresses[name];
    return at ? [{ name, at }] : [];
  });
  const resolved = await Promise.all(wanted.map(async ({ name, at }) => {
    if (isIP(at.host)) return { name, at, ip: at.host };
    try {
      return { name, at, ip: (await lookup(at.host)).address };
    } catch (err) {
      throw listenError(FIELDS[name], at, err as NodeJS.ErrnoException);
    }
  }));
  const servers: Server[] = [];
  try {
    for (const { name, at, ip } of resolved) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(FIELDS[name], at, err)));
        server.listen({ host: ip, port: at.port }, () => resolve());
      });
    }
    // `_handle.fd` is Node's own descriptor for the socket: there is no public API to pass a
    // listening socket to a process that is not a direct IPC child, which the holder must be
    // free of (it would accept on it itself).
    const own = servers.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
    const fds: Record<string, number> = {};
    resolved.forEach(({ name }, i) => { fds[name] = 3 + i; });
    return spawnHolder(own, { [LISTEN_FDS_ENV]: JSON.stringify(fds) });
  } finally {
    for (const server of servers) server.close();
  }
}
