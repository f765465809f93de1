// Benchmark: constant-rate (open model) load through the router while cutover switches colors
// repeatedly. Reports requests, non-2xx, socket errors, and p50/p99 overall and in the second
// after each switch. Full run: `node --import tsx bench/cutover-under-load/run.ts`
// (2,000 req/s for 60 s, >= 10 switches). CI runs it tiny with BENCH_TINY=1.
import { rmSync } from 'node:fs';
import { deploy } from '../../src/core/operations/deploy.ts';
import { rollbackCommand } from '../../src/core/operations/rollback-operation.ts';
import type { CoreDeps } from '../../src/core/deps.ts';
import type { Color } from '../../src/core/types.ts';
import { openContext } from '../../src/cli/context.ts';
import { spawn } from 'node:child_process';
import { AdminClient } from '../../src/drivers/local/admin-client.ts';
import { localPaths } from '../../src/drivers/local/paths.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createDemoWorkspace, FAST_CYCLE_CONFIG } from '../../src/demo/demo-workspace.ts';
import { LoadGenerator } from '../../src/loadgen/load-generator.ts';
import { percentile } from '../../src/loadgen/load-recorder.ts';

const tiny = process.env.BENCH_TINY === '1';
const rate = Number(process.env.RATE ?? (tiny ? 200 : 2_000));
const durationMs = Number(process.env.DURATION_MS ?? (tiny ? 8_000 : 60_000));
const wantedSwitches = tiny ? 2 : 10;

const { dir, configPath } = createDemoWorkspace(FAST_CYCLE_CONFIG);
const config = loadConfig(configPath);
// The daemon (router + supervisor) runs in its own process, as with `cutover up`, so the load
// generator here does not compete with the router for the same event loop.
const daemon = spawn(process.execPath, [new URL('../../bin/cutover', import.meta.url).pathname, 'up', '--foreground', '--config', configPath], { stdio: 'ignore' });
const admin = new AdminClient(localPaths(config.stateDir).socket);
while (!(await admin.isUp())) await new Promise((r) => setTimeout(r, 100));
const main = (await admin.send('GET /status')).addresses.main;
const ctx = await openContext({ config: configPath, yes: true }, 'bench');
const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };
const switches: number[] = [];
const driver = Object.assign(Object.create(ctx.deps.driver), {
  switchTraffic: async (to: Color) => { const r = await ctx.deps.driver.switchTraffic(to); switches.push(Date.now()); return r; },
});
const deps: CoreDeps = { ...ctx.deps, driver, reporter: quiet, verifier: { ...ctx.deps.verifier } };
try {
  await deploy(deps, 'v1', { yes: true });
  switches.length = 0;
  const load = new LoadGenerator({
    url: main, model: 'open', ratePerSec: rate, durationMs,
    slowFraction: 0.01, slowPath: '/slow?ms=1000', newConnectionFraction: 0.1, postFraction: 0.005, postBytes: 1 << 20,
  }).start();
  const started = Date.now();
  const gap = durationMs / (wantedSwitches + 1);
  let next = 'v2';
  while (switches.length < wantedSwitches && Date.now() - started < durationMs - 1_000) {
    await new Promise((r) => setTimeout(r, Math.max(0, started + gap * (switches.length + 1) - Date.now())));
    if (next === 'v2') await deploy(deps, 'v2', { yes: true });
    else await rollbackCommand(deps, { yes: true });
    next = next === 'v2' ? 'v1' : 'v2';
  }
  const report = await load.finished;
  const records = load.records();
  const after = records.filter((r) => switches.some((s) => r.start >= s && r.start < s + 1_000));
  const lat = (rs: typeof records) => Float64Array.from(rs.filter((r) => r.error === null).map((r) => r.end - r.start)).sort();
  const all = lat(records);
  const post = lat(after);
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  // 1% of requests sleep 1 s on purpose, so p99 sits on that boundary; the latency of the
  // ordinary requests is reported separately (under 900 ms), together with how many took longer.
  const ordinary = (rs: typeof records) => Float64Array.from(rs.filter((r) => r.error === null && r.end - r.start < 900).map((r) => r.end - r.start)).sort();
  const slowCount = (rs: typeof records) => rs.filter((r) => r.end - r.start >= 900).length;
  const allOrdinary = ordinary(records);
  const postOrdinary = ordinary(after);
  const lines = [
    `rate ${rate} req/s for ${durationMs / 1000}s (open model; 1% 1s requests, 10% new connections, 0.5% 1 MiB POSTs), ${switches.length} switches`,
    `requests ${report.total.requests}, achieved ${report.achievedRps.toFixed(0)} req/s, non-2xx ${report.total.non2xx}, socket errors ${report.total.socketErrors}`,
    `overall p50 ${fmt(percentile(all, 50))} ms, p95 ${fmt(percentile(all, 95))} ms, p99 ${fmt(percentile(all, 99))} ms, send-lag p99 ${fmt(report.total.sendLagP99Ms)} ms`,
    `first second after each switch: ${after.length} requests, p50 ${fmt(percentile(post, 50))} ms, p95 ${fmt(percentile(post, 95))} ms, p99 ${fmt(percentile(post, 99))} ms`,
    `ordinary requests (< 900 ms), overall: p50 ${fmt(percentile(allOrdinary, 50))} ms, p99 ${fmt(percentile(allOrdinary, 99))} ms; ${slowCount(records)} took >= 900 ms (${(slowCount(records) / records.length * 100).toFixed(2)}%, 1% are 1 s on purpose)`,
    `ordinary requests, first second after each switch: p50 ${fmt(percentile(postOrdinary, 50))} ms, p99 ${fmt(percentile(postOrdinary, 99))} ms; ${slowCount(after)} took >= 900 ms (${(slowCount(after) / Math.max(1, after.length) * 100).toFixed(2)}%)`,
  ];
  console.log(lines.join('\n'));
  if (report.total.non2xx + report.total.socketErrors > 0) {
    console.error('FAILED requests during cutovers:', report.total.byStatus, report.total.byError);
    process.exitCode = 1;
  }
} finally {
  await ctx.close();
  await admin.send('POST /shutdown').catch(() => {});
  await admin.close();
  await new Promise((r) => daemon.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
