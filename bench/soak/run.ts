// Benchmark: a long soak. Mixed load through the router (1% slow requests, 10% new
// connections, 0.5% 1 MiB POSTs) while a deploy or a rollback switches colors every
// SWITCH_EVERY_MS. Every REPORT_EVERY_MS it prints the daemon's RSS, open fds and active
// handles, the requests, non-2xx and socket errors of that interval, and the host's 1-min load average. The goal: flat
// memory and fds, zero errors. Full run: `node --import tsx bench/soak/run.ts` (30 minutes,
// 300 req/s, a switch every 30 s, a report every minute). CI runs it tiny with BENCH_TINY=1.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { deploy } from '../../src/core/operations/deploy.ts';
import { rollbackCommand } from '../../src/core/operations/rollback-operation.ts';
import type { CoreDeps } from '../../src/core/deps.ts';
import { openContext } from '../../src/cli/context.ts';
import { AdminClient } from '../../src/drivers/local/admin-client.ts';
import { localPaths } from '../../src/drivers/local/paths.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createDemoWorkspace, FAST_CYCLE_CONFIG } from '../../src/demo/demo-workspace.ts';
import { LoadGenerator } from '../../src/loadgen/load-generator.ts';

const tiny = process.env.BENCH_TINY === '1';
const durationMs = Number(process.env.DURATION_MS ?? (tiny ? 6_000 : 30 * 60_000));
const rate = Number(process.env.RATE ?? (tiny ? 100 : 300));
const switchEveryMs = Number(process.env.SWITCH_EVERY_MS ?? (tiny ? 2_000 : 30_000));
const reportEveryMs = Number(process.env.REPORT_EVERY_MS ?? (tiny ? 2_000 : 60_000));

const { dir, configPath } = createDemoWorkspace(FAST_CYCLE_CONFIG);
const config = loadConfig(configPath);
// The daemon runs in its own process, as with `cutover up`; its RSS and fds are what we watch.
const daemon = spawn(process.execPath, [new URL('../../bin/cutover', import.meta.url).pathname, 'up', '--foreground', '--config', configPath], { stdio: 'ignore' });
const admin = new AdminClient(localPaths(config.stateDir).socket);
while (!(await admin.isUp())) await new Promise((r) => setTimeout(r, 100));
// `pid` is the listener keeper's (it only holds the listening sockets); the router, its
// connections and its memory live in the worker, `workerPid`, which is the process watched.
const main = (await admin.send('GET /status')).addresses.main;
const ctx = await openContext({ config: configPath, yes: true }, 'bench');
const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };
const deps: CoreDeps = { ...ctx.deps, reporter: quiet };

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
let totalRequests = 0;
let totalErrors = 0;
let switches = 0;
let failedSwitches = 0;
const rows: string[] = [];
try {
  await deploy(deps, 'v1', { yes: true });
  const started = Date.now();
  let stopping = false;
  // Deploys and rollbacks alternate on their own clock while the load runs.
  const switcher = (async () => {
    let next: 'v2' | 'rollback' = 'v2';
    while (!stopping) {
      await new Promise((r) => setTimeout(r, switchEveryMs));
      if (stopping) break;
      const result = next === 'v2' ? await deploy(deps, 'v2', { yes: true }) : await rollbackCommand(deps, { yes: true });
      switches++;
      // A deploy that did not promote, or a rollback that failed or was aborted, is a failed switch.
      const ok = next === 'v2' ? result.outcome === 'promoted' : result.outcome !== 'failed' && result.outcome !== 'aborted';
      if (!ok) {
        failedSwitches++;
        console.error(`switch ${switches} (${next}) ended ${result.outcome}`);
      }
      next = next === 'v2' ? 'rollback' : 'v2';
    }
  })();
  console.log('minute  rss(MB) fds handles  requests non2xx sockErr  switches  load1');
  for (let interval = 1; Date.now() - started < durationMs; interval++) {
    const slice = Math.min(reportEveryMs, durationMs - (Date.now() - started));
    const load = new LoadGenerator({
      url: main, model: 'open', ratePerSec: rate, durationMs: slice,
      slowFraction: 0.01, slowPath: '/slow?ms=1000', newConnectionFraction: 0.1, postFraction: 0.005, postBytes: 1 << 20,
    }).start();
    const report = await load.finished;
    const status = await admin.send('GET /status');
    const errors = report.total.non2xx + report.total.socketErrors;
    totalRequests += report.total.requests;
    totalErrors += errors;
    const worker = status.workerPid ?? status.pid;
    const row = `${String(((Date.now() - started) / 60_000).toFixed(1)).padStart(6)}  ${mb(rssOf(worker)).padStart(7)} ${String(openFds(worker)).padStart(3)} ${String(status.process.activeResources).padStart(7)}  ${String(report.total.requests).padStart(8)} ${String(report.total.non2xx).padStart(6)} ${String(report.total.socketErrors).padStart(7)}  ${String(switches).padStart(8)}  ${loadavg()[0].toFixed(2).padStart(5)}`;
    rows.push(row);
    console.log(row);
    if (errors > 0) console.error(`interval ${interval}: ${JSON.stringify(report.total.byStatus)} ${JSON.stringify(report.total.byError)}`);
  }
  stopping = true;
  await switcher;
  console.log(`soak: ${(durationMs / 60_000).toFixed(1)} min at ${rate} req/s, ${totalRequests} requests, ${totalErrors} errors, ${switches} switches (${failedSwitches} failed)`);
  if (totalErrors > 0 || failedSwitches > 0) process.exitCode = 1;
} finally {
  await ctx.close();
  await admin.send('POST /shutdown').catch(() => {});
  await admin.close();
  await new Promise((r) => daemon.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
