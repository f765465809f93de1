import type { ResolvedConfig } from '../../config/resolved.ts';
import { Daemon } from '../../drivers/local/daemon.ts';
import type { KeeperLink } from '../../drivers/local/keeper-link.ts';
import type { ListenFds } from '../../drivers/local/listener-handoff.ts';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { recordRestored, recordStartedEmpty } from '../../core/operations/platform-reset.ts';
import { attachDashboard } from '../../dashboard/daemon-dashboard.ts';

/** Starts the router and supervisor in this process and serves until a signal or `cutover down`. */
export async function runDaemonInForeground(config: ResolvedConfig, options: { fresh?: boolean; listenFds?: ListenFds; keeper?: KeeperLink } = {}): Promise<Daemon> {
  const local = config.platform.kind === 'local' ? config.platform : null;
  // stderr is daemon.log (or the journal): a full disk under it must not kill the router.
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  const daemon = await Daemon.start({
    stateDir: config.stateDir,
    router: { engine: config.router.engine, listen: config.router.listen, preview: config.router.preview, metrics: config.router.metrics, drainTimeoutMs: config.router.drainTimeoutMs, maxPauseMs: config.router.maxPauseMs,
      trustedProxies: config.router.trustedProxies, maxRequestBodyBytes: config.router.maxRequestBodyBytes, maxConnections: config.router.maxConnections,
      listenFds: options.listenFds },
    maintenance: { pageFile: config.maintenance.pageFile, retryAfterSec: config.maintenance.retryAfterSec },
    readyTimeoutMs: local?.readyTimeoutMs ?? 60_000,
    releaseEnv: local?.env,
    health: config.health,
    logs: local?.logs,
    restore: !options.fresh,
    keeper: options.keeper,
  });
  await attachDashboard(daemon, config);
  const store = new FileStateStore(config.stateDir);
  if (daemon.restored) {
    daemon.restoring.then(() => {
      const report = daemon.restoreReport;
      if (report?.state === 'live') return recordRestored(store, report);
    }).catch(() => {});
  } else {
    await recordStartedEmpty(store).catch((err: Error) => process.stderr.write(`cutover daemon: could not update the state record: ${err.message}\n`));
  }
  return daemon;
}
