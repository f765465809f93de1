import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import type { ResolvedConfig } from '../../config/resolved.ts';
import { CutoverError } from '../../core/errors.ts';
import { AdminClient } from '../../drivers/local/admin-client.ts';
import { Daemon } from '../../drivers/local/daemon.ts';
import { readDaemonSnapshot } from '../../drivers/local/daemon-state.ts';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { isProcessAlive } from '../../drivers/local/process-alive.ts';
import { localPaths } from '../../drivers/local/paths.ts';
import { COLORS } from '../../core/types.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../program.ts';

const START_TIMEOUT_MS = 15_000;
const BIN = fileURLToPath(new URL('../../../bin/cutover', import.meta.url));

function requireLocal(config: ResolvedConfig): void {
  if (config.platform.kind !== 'local') throw new CutoverError('usage', '`cutover up` and `down` run the local platform; this config uses kubernetes');
}

/** Starts the router and supervisor in this process and serves until a signal or `cutover down`. */
export async function runDaemonInForeground(config: ResolvedConfig): Promise<Daemon> {
  const daemon = await Daemon.start({
    stateDir: config.stateDir,
    router: { listen: config.router.listen, preview: config.router.preview, metrics: config.router.metrics, drainTimeoutMs: config.router.drainTimeoutMs, maxPauseMs: config.router.maxPauseMs },
    maintenance: { pageFile: config.maintenance.pageFile, retryAfterSec: config.maintenance.retryAfterSec },
    readyTimeoutMs: config.platform.kind === 'local' ? config.platform.readyTimeoutMs : 60_000,
  });
  return daemon;
}

export function registerUpDown(program: Command, globals: Globals): void {
  program.command('up').description('start the local daemon (router and process supervisor) in the background')
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .action(async (options: { foreground?: boolean }) => {
      const g = globals();
      const config = loadConfig(g.config);
      requireLocal(config);
      const paths = localPaths(config.stateDir);
      const client = new AdminClient(paths.socket);
      try {
        if (await client.isUp()) {
          const status = await client.call<{ addresses: unknown; pid: number }>('GET', '/status');
          if (g.json) printJson(status);
          else process.stderr.write(`cutover daemon already running (pid ${status.pid})\n`);
          return 0;
        }
      } finally {
        await client.close();
      }
      if (options.foreground) {
        const daemon = await runDaemonInForeground(config);
        const stop = () => void daemon.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stderr.write(`cutover daemon ${process.pid}${daemon.restored ? ' (restored previous state)' : ''}: live ${daemon.router.address.main}, preview ${daemon.router.address.preview ?? '-'}\n`);
        await new Promise<void>((resolve) => { daemon.onShutdown = resolve; });
        return 0;
      }
      mkdirSync(config.stateDir, { recursive: true });
      const log = openSync(paths.daemonLog, 'a');
      const child = spawn(process.execPath, [BIN, 'up', '--foreground', '--config', config.configPath], {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: config.baseDir,
      });
      closeSync(log);
      child.unref();
      const watcher = new AdminClient(paths.socket);
      try {
        const deadline = Date.now() + START_TIMEOUT_MS;
        while (Date.now() < deadline) {
          if (child.exitCode !== null) break;
          if (await watcher.isUp()) {
            const status = await watcher.call<{ pid: number; addresses: { main: string; preview?: string } }>('GET', '/status');
            if (g.json) printJson(status);
            else process.stderr.write(`cutover daemon started (pid ${status.pid}): live ${status.addresses.main}, preview ${status.addresses.preview ?? '-'}; logs in ${paths.daemonLog}\n`);
            return 0;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await watcher.close();
      }
      throw new CutoverError('unreachable', `the daemon did not start within ${START_TIMEOUT_MS / 1000}s; see ${paths.daemonLog}`);
    });

  program.command('down').description('stop the local daemon and every process it started')
    .action(async () => {
      const g = globals();
      const config = loadConfig(g.config);
      requireLocal(config);
      const paths = localPaths(config.stateDir);
      // Stopping everything under a running deploy would strand it: take the operation lock
      // first, so `down` waits its turn like any operation (exit 3 names the holder).
      const store = new FileStateStore(config.stateDir);
      const lock = await store.acquireLock({ pid: process.pid, host: hostname(), command: 'down', since: new Date().toISOString() });
      const client = new AdminClient(paths.socket);
      const snapshot = readDaemonSnapshot(paths.daemonState);
      let wasRunning = false;
      try {
        if (await client.isUp()) {
          wasRunning = true;
          const { pid } = await client.call<{ pid: number }>('GET', '/status');
          await client.call('POST', '/shutdown');
          const deadline = Date.now() + 60_000;
          while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        } else if (snapshot) {
          // The daemon died: stop what it left behind so nothing keeps running unmanaged.
          for (const color of COLORS) {
            for (const replica of snapshot.colors[color]?.replicas ?? []) {
              if (replica.pid && isProcessAlive(replica.pid)) {
                wasRunning = true;
                try { process.kill(-replica.pid, 'SIGTERM'); } catch { /* gone */ }
              }
            }
          }
        }
        // Everything is stopped: the record must not claim anything is live.
        const state = await store.load();
        if (state && (wasRunning || state.live !== null || state.operation !== null)) {
          for (const color of COLORS) if (state.colors[color].version && state.colors[color].state !== 'empty') state.colors[color].state = 'retired';
          state.live = null;
          state.operation = null;
          await store.save(state);
          await store.appendHistory({ at: new Date().toISOString(), operationId: 'down', kind: 'maintenance', event: 'finished', message: 'cutover down: all processes stopped' });
        }
      } finally {
        await client.close();
        await lock.release();
      }
      if (g.json) printJson({ stopped: wasRunning, wasRunning });
      else process.stderr.write(wasRunning ? 'cutover daemon stopped; all release processes stopped\n' : `nothing to stop: no cutover daemon or release process is running for ${config.stateDir}\n`);
      return 0;
    });
}
