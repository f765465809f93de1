import { join } from 'node:path';

/** Where the local platform keeps its files, all under the app's state directory (`.cutover/`). */
export function localPaths(stateDir: string) {
  return {
    stateDir,
    socket: join(stateDir, 'daemon.sock'),
    daemonState: join(stateDir, 'daemon.json'),
    daemonLog: join(stateDir, 'daemon.log'),
    daemonPid: join(stateDir, 'daemon.pid'),
    logs: join(stateDir, 'logs'),
    /** The data plane engine's own files (HAProxy's generated config, map and sockets). */
    engineDir: join(stateDir, 'engine'),
  } as const;
}
