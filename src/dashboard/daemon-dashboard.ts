import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/resolved.ts';
import { CutoverError } from '../core/errors.ts';
import type { DashboardBody } from '../drivers/local/admin-protocol.ts';
import type { Daemon } from '../drivers/local/daemon.ts';
import type { DashboardServer } from './dashboard-server.ts';
import { HostApps } from './host-apps.ts';

/** What `cutover dashboard` asks the daemon for: the admin protocol's `POST /dashboard` body. */
export type DashboardRequest = DashboardBody;

export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:0';

/**
 * Where this host's daemons announce themselves: `CUTOVER_RUNTIME_DIR`, else the user's
 * runtime directory, else under ~/.cache. (Read here, at the edge, never in the core.)
 */
export function hostAppsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CUTOVER_RUNTIME_DIR) return join(env.CUTOVER_RUNTIME_DIR, 'daemons');
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'cutover', 'daemons');
  return join(homedir(), '.cache', 'cutover', 'run', 'daemons');
}

/**
 * Lets the daemon serve the dashboard: announces the app on this host, and adds the admin
 * route `POST /dashboard`, which starts the dashboard server on first use and returns a URL
 * with a fresh access token. The dashboard lists every app of the host.
 */
export async function attachDashboard(daemon: Daemon, config: ResolvedConfig): Promise<void> {
  const hostApps = new HostApps(hostAppsDir());
  await hostApps.register({ pid: process.pid, app: config.app, configPath: config.configPath, stateDir: config.stateDir }).catch(() => {});
  let server: DashboardServer | null = null;
  let starting: Promise<DashboardServer> | null = null;
  let listen = DEFAULT_DASHBOARD_LISTEN;

  const start = async (wanted: string): Promise<DashboardServer> => {
    // Loaded on first use, so a daemon nobody opens a dashboard on starts as fast as before.
    const [{ CachedCatalog }, { ConfiguredApp }, { DashboardServer }] = await Promise.all([
      import('./app-catalog.ts'), import('./dashboard-app.ts'), import('./dashboard-server.ts'),
    ]);
    const own = await ConfiguredApp.open(config.configPath);
    const catalog = new CachedCatalog([own], async () => hostApps.list()
      .filter((e) => e.stateDir !== config.stateDir)
      .map((e) => ({ key: e.stateDir, open: () => ConfiguredApp.open(e.configPath) })));
    const s = new DashboardServer({ catalog, listen: wanted });
    try {
      await s.start();
    } catch (err) {
      await catalog.close();
      throw err;
    }
    listen = wanted;
    return s;
  };

  daemon.serve('POST /dashboard', async ({ body: request }) => {
    const wanted = request.listen ?? DEFAULT_DASHBOARD_LISTEN;
    (await import('./dashboard-server.ts')).parseListen(wanted);
    if (!server) {
      starting ??= start(wanted).finally(() => { starting = null; });
      server = await starting;
    } else if (request.listen && request.listen !== listen) {
      throw new CutoverError('refused', `the dashboard already serves on ${server.address} (asked for ${listen}); run \`cutover down\` and \`cutover up\` to move it`);
    }
    return { url: server.mintUrl({ readOnly: Boolean(request.readOnly) }) };
  });
  daemon.onClose(async () => {
    hostApps.unregister(config.stateDir, process.pid);
    await server?.close();
  });
}
