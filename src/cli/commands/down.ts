import { hostname } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { AdminClient } from '../../drivers/local/admin-client.ts';
import { readDaemonSnapshot } from '../../drivers/local/daemon-state.ts';
import { findReplicaProcesses, stopReplicaProcesses } from '../../drivers/local/orphan-replicas.ts';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { isProcessAlive } from '../../process/process-alive.ts';
import { localPaths } from '../../drivers/local/paths.ts';
import { COLORS } from '../../core/types.ts';
import { pollUntil } from '../../core/poll-until.ts';
import { recordPlatformStopped } from '../../core/operations/platform-reset.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';
import { requireLocal } from './require-local.ts';

export function registerDown(program: Command, globals: Globals): void {
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
          const { pid } = await client.send('GET /status');
          await client.send('POST /shutdown');
          await pollUntil(() => (isProcessAlive(pid) ? undefined : true), { intervalMs: 100, timeoutMs: 60_000 });
        } else {
          // The daemon died: stop what it left behind so nothing keeps running unmanaged,
          // whether or not its record survived (replicas carry a marker of this directory).
          const recorded = COLORS.flatMap((c) => snapshot?.colors[c]?.replicas ?? []).map((r) => r.pid).filter((p): p is number => p !== null && isProcessAlive(p));
          const pids = [...new Set([...recorded, ...findReplicaProcesses(config.stateDir)])];
          if (pids.length) {
            wasRunning = true;
            await stopReplicaProcesses(pids, 10_000);
          }
        }
        // Everything is stopped: the record must not claim anything is live.
        await recordPlatformStopped(store, { wasRunning });
      } finally {
        await client.close();
        await lock.release();
      }
      if (g.json) printJson({ stopped: wasRunning, wasRunning });
      else process.stderr.write(wasRunning ? 'cutover daemon stopped; all release processes stopped\n' : `nothing to stop: no cutover daemon or release process is running for ${config.stateDir}\n`);
      return 0;
    });
}
