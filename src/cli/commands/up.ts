import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { openSync, closeSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile } from '../../package-root.ts';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import type { ResolvedConfig } from '../../config/resolved.ts';
import { CutoverError } from '../../core/errors.ts';
import { AdminClient } from '../../drivers/local/admin-client.ts';
import { KeeperLink } from '../../drivers/local/keeper-link.ts';
import { bindAndHandOff, DAEMON_ROLE_ENV, inheritedListenFds, type ListenFds } from '../../drivers/local/listener-handoff.ts';
import { runKeeper } from '../../drivers/local/listener-keeper.ts';
import { defaultUnitDir, renderSystemdUnit, unitName } from '../../drivers/local/systemd-unit.ts';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { localPaths } from '../../drivers/local/paths.ts';
import { pollUntil } from '../../core/poll-until.ts';
import { findHaproxy } from '../../router/haproxy/haproxy-process.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';
import { requireLocal } from './require-local.ts';
import { runDaemonInForeground } from './run-daemon.ts';

const START_TIMEOUT_MS = 15_000;
const BIN = packageFile('bin/cutover');

/** The last lines a failed daemon wrote to its log since `offset`: the reason it did not start. */
function logTail(path: string, offset: number): string {
  try {
    const text = readFileSync(path, 'utf8').slice(offset);
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.slice(-5).join('\n');
  } catch {
    return '';
  }
}

function writeSystemdUnit(config: ResolvedConfig, g: { json?: boolean }, dir?: string): number {
  const system = process.getuid?.() === 0;
  const unitDir = dir ?? defaultUnitDir(system);
  const name = unitName(config.app);
  const path = join(unitDir, name);
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(path, renderSystemdUnit({
    app: config.app, node: process.execPath, bin: BIN, configPath: config.configPath, workingDirectory: config.baseDir,
    system, user: process.env.SUDO_USER,
  }));
  chmodSync(path, 0o644);
  const ctl = system ? 'systemctl' : 'systemctl --user';
  if (g.json) printJson({ unit: path, name, enable: `${ctl} daemon-reload && ${ctl} enable --now ${name}` });
  else {
    process.stderr.write(`wrote ${path}\nenable it (starts now and at every boot; stop a running \`cutover up\` first with \`cutover down\`):\n  ${ctl} daemon-reload && ${ctl} enable --now ${name}\n`);
    if (!system) process.stderr.write(`a user unit runs at boot only with lingering on: loginctl enable-linger ${process.env.USER ?? '$USER'}\n`);
  }
  return 0;
}

/** Prints where the daemon listens; when it is bringing back the last live release, waits for the verdict. */
async function reportStarted(client: AdminClient, g: { json?: boolean }, logPath: string): Promise<number> {
  let status = await client.send('GET /status');
  for (const note of status.notes) if (!g.json) process.stderr.write(`warning: ${note}\n`);
  if (status.restore?.state === 'checking' && !g.json) process.stderr.write(`bringing back ${status.restore.color} (${status.restore.version}): health checks before it takes traffic...\n`);
  if (status.restore?.state === 'checking') {
    // The daemon bounds the checks by the ready timeout; its verdict is what is printed.
    status = (await pollUntil(async () => {
      const now = await client.send('GET /status');
      return now.restore?.state === 'checking' ? undefined : now;
    }, { intervalMs: 200, timeoutMs: Infinity }))!;
  }
  if (g.json) printJson(status);
  else {
    process.stderr.write(`cutover daemon started (pid ${status.pid}): live ${status.addresses.main}, preview ${status.addresses.preview ?? '-'}; logs in ${logPath}\n`);
    const r = status.restore;
    if (r?.state === 'live') process.stderr.write(`brought back ${r.color} (${r.version}), now live: ${r.detail}\n`);
    if (r?.state === 'failed') process.stderr.write(`warning: ${r.color} (${r.version}) was not brought back: ${r.detail}; the router answers 503 until a deploy\n`);
  }
  return 0;
}

/**
 * The sockets the keeper holds across daemon restarts. HAProxy binds the listeners itself and
 * hands them over on its own reloads (master-worker), so with `engine: haproxy` the keeper
 * holds none: it only restarts the daemon worker. Decided here alone.
 */
function keeperSockets(config: ResolvedConfig): { toBind: Parameters<typeof bindAndHandOff>[0]; inherited(role: 'keeper' | 'worker'): ListenFds | null } {
  const dataPlaneBindsItsOwn = config.router.engine === 'haproxy';
  return {
    toBind: dataPlaneBindsItsOwn ? {} : config.router,
    inherited(role) {
      const fds = inheritedListenFds();
      if (!fds && !dataPlaneBindsItsOwn) throw new CutoverError('internal', `the daemon ${role} was started without its listeners (${DAEMON_ROLE_ENV}=${role}, no descriptors)`);
      return fds;
    },
  };
}

/** The listener keeper (see listener-keeper.ts): holds the sockets this process inherited and runs the daemon as its child. */
async function runAsKeeper(config: ResolvedConfig, fresh?: boolean): Promise<number> {
  const fds = keeperSockets(config).inherited('keeper');
  process.stderr.on('error', () => {});
  return runKeeper({
    fds,
    workerArgs: (first) => [BIN, 'up', '--foreground', '--config', config.configPath, ...(first && fresh ? ['--fresh'] : [])],
    log: (message) => {
      try { process.stderr.write(`cutover keeper ${process.pid}: ${message}\n`); } catch { /* a full disk must not stop the keeper */ }
    },
  });
}

/** The daemon itself, under a keeper: serves on the handed-over listeners until `down`, SIGTERM, or a successor takes over. */
async function runAsWorker(config: ResolvedConfig, fresh?: boolean): Promise<number> {
  const keeper = KeeperLink.fromProcess(true);
  if (!keeper) throw new CutoverError('internal', `the daemon worker was started without its keeper (${DAEMON_ROLE_ENV}=worker)`);
  const fds = keeperSockets(config).inherited('worker');
  const daemon = await runDaemonInForeground(config, { fresh, listenFds: fds ?? undefined, keeper });
  const stop = () => void daemon.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(`cutover daemon ${process.pid}${daemon.restored ? ' (restored previous state)' : ''}: live ${daemon.router.address.main}, preview ${daemon.router.address.preview ?? '-'}\n`);
  void daemon.restoring.then(() => {
    const r = daemon.restoreReport;
    if (r) process.stderr.write(r.state === 'live' ? `cutover daemon: brought back ${r.color} (${r.version}): ${r.detail}\n` : `cutover daemon: ${r.color} (${r.version}) not brought back: ${r.detail}\n`);
  });
  keeper.ready();
  await new Promise<void>((resolve) => { daemon.onShutdown = resolve; });
  return 0;
}

/**
 * `up` against a running daemon: a new daemon (this checkout's cutover, possibly a new
 * version, and the config as it is now) takes over the listening sockets and the replicas;
 * the old one finishes its requests. Not one connection is refused. Holds the operation lock,
 * as `down` does, so it never lands in the middle of a deploy.
 */
async function restartDaemon(config: ResolvedConfig, client: AdminClient, g: { json?: boolean }): Promise<number> {
  const store = new FileStateStore(config.stateDir);
  const lock = await store.acquireLock({ pid: process.pid, host: hostname(), command: 'up (restart)', since: new Date().toISOString() });
  try {
    const asked = await client.send('POST /restart');
    const timeoutMs = START_TIMEOUT_MS + config.router.drainTimeoutMs;
    const paths = localPaths(config.stateDir);
    const status = await pollUntil(async () => {
      // A fresh connection each time: the old daemon's admin socket goes away at the handover.
      const poll = new AdminClient(paths.socket);
      const status = await poll.send('GET /status').catch(() => null).finally(() => poll.close());
      if (status?.restart?.state === 'failed' && status.workerPid === asked.workerPid) {
        throw new CutoverError('operation-failed', `the daemon was not restarted: ${status.restart.detail ?? 'the new daemon did not start'}`, { details: { log: paths.daemonLog } });
      }
      return status && status.workerPid !== asked.workerPid && status.restore?.state !== 'checking' ? status : undefined;
    }, { intervalMs: 100, timeoutMs });
    if (!status) throw new CutoverError('unreachable', `the daemon did not finish restarting within ${Math.round(timeoutMs / 1000)}s; see ${paths.daemonLog}`);
    if (g.json) printJson(status);
    else process.stderr.write(`cutover daemon restarted (pid ${status.pid}): daemon process ${asked.workerPid} handed the listeners to ${status.workerPid}; live ${status.addresses.main}, preview ${status.addresses.preview ?? '-'}\n`);
    return 0;
  } finally {
    await lock.release();
  }
}

export function registerUp(program: Command, globals: Globals): void {
  program.command('up').description('start the local daemon (router and process supervisor) in the background')
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--fresh', 'do not bring back the release that was live before `down` or a reboot')
    .option('--systemd', 'write a systemd unit that runs the daemon at boot, instead of starting it')
    .option('--unit-dir <dir>', 'with --systemd: where to write the unit (default /etc/systemd/system as root, else ~/.config/systemd/user)')
    .action(async (options: { foreground?: boolean; fresh?: boolean; systemd?: boolean; unitDir?: string }) => {
      const g = globals();
      const config = loadConfig(g.config);
      requireLocal(config);
      // Before anything starts: a missing data plane is a setup error naming the package (exit 2).
      if (config.router.engine === 'haproxy') findHaproxy();
      if (options.systemd) return writeSystemdUnit(config, g, options.unitDir);
      const paths = localPaths(config.stateDir);
      const role = process.env[DAEMON_ROLE_ENV];
      if (options.foreground && role === 'keeper') return runAsKeeper(config, options.fresh);
      if (options.foreground && role === 'worker') return runAsWorker(config, options.fresh);
      const client = new AdminClient(paths.socket);
      try {
        if (await client.isUp()) return await restartDaemon(config, client, g);
      } finally {
        await client.close();
      }
      const keeperArgs = [BIN, 'up', '--foreground', '--config', config.configPath, ...(options.fresh ? ['--fresh'] : [])];
      if (options.foreground) {
        // Attached (a terminal, systemd): this process only binds the listeners, hands them to
        // the keeper and relays signals, so the keeper holds sockets it never accepts on.
        const keeper = await bindAndHandOff(keeperSockets(config).toBind, (fds, env) => spawn(process.execPath, keeperArgs, {
          stdio: ['inherit', 'inherit', 'inherit', ...fds],
          env: { ...process.env, ...env, [DAEMON_ROLE_ENV]: 'keeper' },
        }));
        const relay = (signal: NodeJS.Signals) => () => { keeper.kill(signal); };
        for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, relay(signal));
        return await new Promise<number>((resolve) => keeper.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
      }
      mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
      chmodSync(config.stateDir, 0o700);
      const log = openSync(paths.daemonLog, 'a', 0o600);
      let logOffset = 0;
      try { logOffset = statSync(paths.daemonLog).size; } catch { /* new file */ }
      let child: ChildProcess;
      try {
        child = await bindAndHandOff(keeperSockets(config).toBind, (fds, env) => spawn(process.execPath, keeperArgs, {
          detached: true,
          stdio: ['ignore', log, log, ...fds],
          cwd: config.baseDir,
          env: { ...process.env, ...env, [DAEMON_ROLE_ENV]: 'keeper' },
        }));
      } finally {
        closeSync(log);
      }
      child.unref();
      const watcher = new AdminClient(paths.socket);
      try {
        const exited = () => child.exitCode !== null || child.signalCode !== null;
        const up = await pollUntil(async () => (exited() ? false : (await watcher.isUp()) || undefined), { intervalMs: 100, timeoutMs: START_TIMEOUT_MS });
        if (up) return await reportStarted(watcher, g, paths.daemonLog);
      } finally {
        await watcher.close();
      }
      if (child.exitCode !== null || child.signalCode !== null) throw daemonStartError(child.exitCode, child.signalCode, paths.daemonLog, logOffset);
      throw new CutoverError('unreachable', `the daemon did not start within ${START_TIMEOUT_MS / 1000}s; see ${paths.daemonLog}`);
    });
}

/**
 * The daemon exited before it answered: show why, from what it wrote to its log in this start
 * (a listen address in use, a config error), with its exit code, instead of a timeout.
 */
function daemonStartError(code: number | null, signal: NodeJS.Signals | null, logPath: string, logStart: number): CutoverError {
  let written = '';
  try {
    written = readFileSync(logPath).subarray(logStart).toString('utf8');
  } catch { /* no log: the exit code is all there is */ }
  const errors = written.split('\n').filter((line) => /^(error|internal error): /.test(line)).map((line) => line.replace(/^error: /, ''));
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const message = errors.length > 0
    ? `the daemon ${how} before it was ready: ${errors.join('; ')}`
    : `the daemon ${how} before it was ready; see ${logPath}`;
  return new CutoverError(code === 2 ? 'config' : 'unreachable', message, { details: { log: logPath, exitCode: code, signal } });
}
