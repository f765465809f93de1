// Benchmark: how fast does cutover notice a bad release and put traffic back on the old color?
// Each run deploys a release that starts answering 5% 500s 3 s after it takes traffic, with a
// 1 s builtin error-rate check, under constant load. Measures, per run:
//   - time from the first bad response to the rollback switch returning (traffic back on the old color),
//   - time from the first bad response to the last request the bad color accepted (seen by the client),
//   - requests that failed in that window.
// Full run: `node --import tsx bench/detect-and-rollback/run.ts` (10 runs). CI: BENCH_TINY=1 (2 runs).
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
import { baseConfig, scenarioAppSource } from '../../test/support/analysis-workspace.ts';

const tiny = process.env.BENCH_TINY === '1';
const runs = Number(process.env.RUNS ?? (tiny ? 2 : 10));
const rate = Number(process.env.RATE ?? 300);
const FAIL_AFTER_MS = 3_000;

const dir = mkdtempSync(join(tmpdir(), 'cutover-detect-'));
for (const [version, behaviour] of [['good', {}], ['bad', { failEvery: 20, failAfterMs: FAIL_AFTER_MS }]] as const) {
  mkdirSync(join(dir, 'releases', version), { recursive: true });
  writeFileSync(join(dir, 'releases', version, 'server.js'), scenarioAppSource(behaviour));
}
const configPath = join(dir, 'cutover.yaml');
writeFileSync(configPath, baseConfig());
const config = loadConfig(configPath);
// The daemon runs in its own process, as with `cutover up`, so load and analysis do not share its event loop.
const daemon = spawn(process.execPath, [new URL('../../bin/cutover', import.meta.url).pathname, 'up', '--foreground', '--config', configPath], { stdio: 'ignore' });
const admin = new AdminClient(localPaths(config.stateDir).socket);
while (!(await admin.isUp())) await new Promise((r) => setTimeout(r, 100));
const main = (await admin.call<{ addresses: { main: string } }>('GET', '/status')).addresses.main;
const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };

async function depsFor(text: string, onSwitch: (to: Color) => void): Promise<{ deps: CoreDeps; close: () => Promise<void> }> {
  writeFileSync(configPath, text);
  const ctx = await openContext({ config: configPath, yes: true }, 'bench');
  ctx.reporter.close();
  const driver = Object.assign(Object.create(ctx.deps.driver), {
    switchTraffic: async (to: Color) => { const r = await ctx.deps.driver.switchTraffic(to); onSwitch(to); return r; },
  });
  return { deps: { ...ctx.deps, driver, reporter: quiet }, close: () => ctx.close() };
}

interface Run { backMs: number; lastBadMs: number; failed: number; requestsInWindow: number; outcome: string }
const results: Run[] = [];
let load: LoadGenerator | null = null;
try {
  const first = await depsFor(baseConfig(), () => {});
  await deploy(first.deps, 'good', { yes: true });
  await first.close();
  load = new LoadGenerator({ url: main, model: 'open', ratePerSec: rate, durationMs: 30 * 60_000, path: '/api' }).start();
  const analysed = baseConfig({ monitor: '60s' }) + `analysis:
  post:
    - name: error-rate
      provider: { kind: builtin, metric: error-rate, listener: main }
      interval: 1s
      condition: result < 0.01
`;
  for (let i = 0; i < runs; i++) {
    let switchedBackAt = 0;
    let liveBefore: Color | null = null;
    const session = await depsFor(analysed, (to) => { if (to === liveBefore) switchedBackAt = Date.now(); });
    liveBefore = (await session.deps.store.load())!.live;
    const started = Date.now();
    const result = await deploy(session.deps, 'bad', { yes: true });
    await session.close();
    await new Promise((r) => setTimeout(r, 500));
    const records = load.records().filter((r) => r.start >= started);
    const bad = liveBefore === 'blue' ? 'green' : 'blue';
    const firstBad = records.find((r) => r.status === 500);
    if (!firstBad || !switchedBackAt) throw new Error(`run ${i + 1}: no bad response or no switch back (${result.outcome}: ${result.message})`);
    const lastOnBad = Math.max(...records.filter((r) => r.color === bad).map((r) => r.start));
    const window = records.filter((r) => r.start >= firstBad.start && r.start <= switchedBackAt);
    const failed = window.filter((r) => r.status !== 200).length;
    results.push({ backMs: Math.round(switchedBackAt - firstBad.start), lastBadMs: Math.round(lastOnBad - firstBad.start), failed, requestsInWindow: window.length, outcome: result.outcome });
    const r = results.at(-1)!;
    console.log(`run ${i + 1}/${runs}: ${r.outcome}; first 500 -> traffic back on ${liveBefore}: ${r.backMs} ms (last request to ${bad}: +${r.lastBadMs} ms); ${r.failed}/${r.requestsInWindow} requests failed in that window`);
  }
} finally {
  if (load) await load.stop().catch(() => {});
  await admin.call('POST', '/shutdown').catch(() => {});
  await new Promise((r) => daemon.once('exit', r));
  await admin.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const back = results.map((r) => r.backMs);
const failed = results.map((r) => r.failed);
console.log(`\n${runs} runs at ${rate} req/s, 1 s analysis interval, release failing 5% of requests:`);
console.log(`  first bad response -> traffic back on the old color: median ${median(back)} ms, max ${Math.max(...back)} ms (target <= 5000 ms)`);
console.log(`  requests failed in that window: median ${median(failed)}, max ${Math.max(...failed)} (of median ${median(results.map((r) => r.requestsInWindow))} sent)`);
console.log(`  rolled back automatically: ${results.filter((r) => r.outcome === 'rolled_back').length}/${runs}`);
process.exit(Math.max(...back) <= 5_000 && results.every((r) => r.outcome === 'rolled_back') ? 0 : 1);
