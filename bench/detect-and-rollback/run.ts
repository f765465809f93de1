// Benchmark: how fast does cutover notice a bad release and put traffic back on the old color,
// with nothing configured but `health` (no `analysis`)? One row per release-zoo mode
// (test/release-zoo/zoo-app.cjs). Each run deploys the bad release under constant load and
// measures, from the first bad response (or the crash, for the crash modes) to the rollback's
// switch back returning (traffic on the old color):
//   - the time, and
//   - the requests that failed in that window.
// Full run: `node --import tsx bench/detect-and-rollback/run.ts` (RUNS=3 per mode).
// CI: BENCH_TINY=1 (1 run of two modes). MODES=a,b picks modes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext } from '../../src/cli/context.ts';
import { loadConfig } from '../../src/config/load.ts';
import { deploy } from '../../src/core/operations/deploy.ts';
import type { CoreDeps } from '../../src/core/deps.ts';
import type { Color } from '../../src/core/types.ts';
import { AdminClient } from '../../src/drivers/local/admin-client.ts';
import { localPaths } from '../../src/drivers/local/paths.ts';
import { LoadGenerator } from '../../src/loadgen/load-generator.ts';
import type { LoadRecord } from '../../src/loadgen/load-recorder.ts';
import { zooConfig, type ZooMode } from '../../test/support/zoo-workspace.ts';

const tiny = process.env.BENCH_TINY === '1';
const runs = Number(process.env.RUNS ?? (tiny ? 1 : 3));
const rate = Number(process.env.RATE ?? 300);
const ALL_MODES: ZooMode[] = ['crash-later', 'crash-on-traffic', '5xx-paths', 'reset', 'hang', 'slow', 'memory'];
// MODES=hang,slow runs only those (e.g. to compare two builds side by side on the modes in question).
const modes = process.env.MODES ? (process.env.MODES.split(',') as ZooMode[]) : tiny ? (['crash-on-traffic', '5xx-paths'] as ZooMode[]) : ALL_MODES;
/** Modes in which every answer of the bad release is bad (too slow or never), so its first answer is the first bad one. */
const EVERY_ANSWER_BAD = new Set<ZooMode>(['slow', 'hang']);
const CRASH_MODES = new Set<ZooMode>(['crash-later', 'crash-on-traffic', 'memory']);

const dir = mkdtempSync(join(tmpdir(), 'cutover-detect-'));
const versions = ['v1-good', ...modes.flatMap((m) => Array.from({ length: runs }, (_, i) => `b${i}-${m}`))];
for (const v of versions) mkdirSync(join(dir, 'releases', v), { recursive: true });
const configPath = join(dir, 'cutover.yaml');
writeFileSync(configPath, zooConfig({ monitor: '30s' }));
const config = loadConfig(configPath);
// The daemon runs in its own process, as with `cutover up`, so load and the core do not share its event loop.
const daemon = spawn(process.execPath, [new URL('../../bin/cutover', import.meta.url).pathname, 'up', '--foreground', '--config', configPath], { stdio: 'ignore' });
const admin = new AdminClient(localPaths(config.stateDir).socket);
while (!(await admin.isUp())) await new Promise((r) => setTimeout(r, 100));
const main = (await admin.send('GET /status')).addresses.main;
const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };

/** `onSwitch` hears when each switch was asked for and when it returned. */
async function depsFor(onSwitch: (to: Color, calledAt: number, returnedAt: number) => void): Promise<{ deps: CoreDeps; close: () => Promise<void> }> {
  const ctx = await openContext({ config: configPath, yes: true }, 'bench');
  ctx.reporter.close();
  const driver = Object.assign(Object.create(ctx.deps.driver), {
    switchTraffic: async (to: Color) => { const calledAt = Date.now(); const r = await ctx.deps.driver.switchTraffic(to); onSwitch(to, calledAt, Date.now()); return r; },
  });
  return { deps: { ...ctx.deps, driver, reporter: quiet }, close: () => ctx.close() };
}

const failed = (r: LoadRecord) => r.error !== null || r.status < 200 || r.status >= 300;

interface Run { mode: ZooMode; backMs: number; failed: number; sent: number; signal: string; outcome: string }
const results: Run[] = [];
let load: LoadGenerator | null = null;
try {
  const first = await depsFor(() => {});
  await deploy(first.deps, 'v1-good', { yes: true });
  await first.close();
  load = new LoadGenerator({ url: main, model: 'open', ratePerSec: rate, durationMs: 60 * 60_000, path: '/api/items', slowPath: '/api/checkout', slowFraction: 0.3, requestTimeoutMs: 10_000 }).start();
  for (const mode of modes) {
    for (let i = 0; i < runs; i++) {
      const version = `b${i}-${mode}`;
      let switchedBackAt = 0;
      let switchedToBadAt = 0;
      const session = await depsFor((to, calledAt, returnedAt) => { if (to === 'blue') switchedBackAt = returnedAt; else switchedToBadAt = calledAt; });
      const started = Date.now();
      const result = await deploy(session.deps, version, { yes: true });
      await session.close();
      await new Promise((r) => setTimeout(r, 1_500));
      const records = load.records().filter((r) => r.start >= started);
      const monitor = result.phases.find((p) => p.name === 'monitor');
      const verdict = (monitor?.data as { verdict?: { signal: string | null; evidence?: string | null }; replicaEvents?: Array<{ at: number; kind: string }> } | undefined);
      const candidates: number[] = records.filter(failed).map((r) => r.start);
      if (EVERY_ANSWER_BAD.has(mode)) candidates.push(...records.filter((r) => r.version === version || (r.version === null && r.error)).map((r) => r.start));
      if (CRASH_MODES.has(mode)) candidates.push(...(verdict?.replicaEvents ?? []).filter((e) => e.kind !== 'replaced').map((e) => e.at));
      // Before the switch the bad release has no real traffic: a request that failed earlier (one
      // timed out on an overloaded machine while the bad release was being provisioned) is not its doing.
      const afterTheSwitch = candidates.filter((at) => at >= switchedToBadAt);
      if (!afterTheSwitch.length || !switchedBackAt) throw new Error(`${version}: no bad response or no switch back (${result.outcome}: ${result.message})`);
      const firstBad = Math.min(...afterTheSwitch);
      const window = records.filter((r) => r.start >= firstBad && r.start <= switchedBackAt);
      results.push({ mode, backMs: Math.round(switchedBackAt - firstBad), failed: window.filter(failed).length, sent: window.length, signal: verdict?.verdict?.signal ?? '-', outcome: result.outcome });
      const r = results.at(-1)!;
      console.log(`${mode} run ${i + 1}/${runs}: ${r.outcome} on ${r.signal}; first bad -> traffic back on blue: ${r.backMs} ms; ${r.failed}/${r.sent} requests failed (${verdict?.verdict?.evidence ?? result.message})`);
    }
  }
} finally {
  if (load) await load.stop().catch(() => {});
  await admin.send('POST /shutdown').catch(() => {});
  await new Promise((r) => daemon.once('exit', r));
  await admin.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
console.log(`\n${runs} run(s) per mode at ${rate} req/s (open model), no analysis configured, 30 s bake window:`);
console.log('| mode | signal | first bad → traffic back: median | max | failed requests: median | max | rolled back |');
console.log('|---|---|---|---|---|---|---|');
for (const mode of modes) {
  const rows = results.filter((r) => r.mode === mode);
  const back = rows.map((r) => r.backMs);
  const f = rows.map((r) => r.failed);
  console.log(`| ${mode} | ${[...new Set(rows.map((r) => r.signal))].join(', ')} | ${median(back)} ms | ${Math.max(...back)} ms | ${median(f)} | ${Math.max(...f)} | ${rows.filter((r) => r.outcome === 'rolled_back').length}/${rows.length} |`);
}
const ok = modes.every((mode) => {
  const back = results.filter((r) => r.mode === mode).map((r) => r.backMs);
  return median(back) <= 2_000 && Math.max(...back) <= 5_000;
}) && results.every((r) => r.outcome === 'rolled_back');
process.exit(ok ? 0 : 1);
