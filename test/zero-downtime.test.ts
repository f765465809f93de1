import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { deploy } from '../src/core/operations/deploy.ts';
import { rollbackCommand } from '../src/core/operations/rollback-operation.ts';
import type { CoreDeps } from '../src/core/deps.ts';
import type { PlatformDriver } from '../src/core/driver.ts';
import type { Color } from '../src/core/types.ts';
import { openContext } from '../src/cli/context.ts';
import { runDaemonInForeground } from '../src/cli/commands/run-daemon.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDemoWorkspace, FAST_CYCLE_CONFIG } from '../src/demo/demo-workspace.ts';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { haproxySkip } from './support/haproxy.ts';

const CYCLES = 10; // each cycle is a deploy and a rollback: 20 switches

/**
 * The load generator's records are times on the monotonic clock (performance.timeOrigin +
 * performance.now()); the events here must be on the same clock, or a wall-clock adjustment
 * during the run shifts every comparison between them.
 */
const now = () => performance.timeOrigin + performance.now();

/**
 * Given steady keep-alive load with 1 s requests in flight, when cutover alternates 20 deploys
 * and rollbacks, then no request fails, no color answers after it was stopped, and the slow
 * requests in flight at each switch complete.
 */
for (const engine of ['node', 'haproxy'] as const) test(`20 alternating deploys and rollbacks under load drop no request (router.engine ${engine})`, { timeout: 240_000, skip: engine === 'haproxy' && haproxySkip() }, async () => {
  const { dir, configPath } = createDemoWorkspace(FAST_CYCLE_CONFIG.replace('router:\n', `router:\n  engine: ${engine}\n`));
  const config = loadConfig(configPath);
  const daemon = await runDaemonInForeground(config);
  const ctx = await openContext({ config: configPath, yes: true }, 'zero-downtime test');
  ctx.reporter.close();
  const events: Array<{ kind: 'stopped' | 'started'; color: Color; at: number }> = [];
  const switches: number[] = [];
  const driver: PlatformDriver = Object.assign(Object.create(ctx.deps.driver), {
    retire: async (color: Color) => { await ctx.deps.driver.retire(color); events.push({ kind: 'stopped', color, at: now() }); },
    provision: async (color: Color, release: { version: string }, flags: Record<string, unknown>) => {
      events.push({ kind: 'started', color, at: now() });
      await ctx.deps.driver.provision(color, release, flags);
    },
    switchTraffic: async (to: Color) => { const r = await ctx.deps.driver.switchTraffic(to); switches.push(now()); return r; },
  });
  const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };
  const deps: CoreDeps = { ...ctx.deps, driver, reporter: quiet };
  let load: LoadGenerator | null = null;
  try {
    assert.equal((await deploy(deps, 'v1', { yes: true })).outcome, 'promoted');
    load = new LoadGenerator({ url: daemon.router.address.main, model: 'closed', connections: 50, durationMs: 200_000, slowFraction: 0.02, slowPath: '/slow?ms=1000' }).start();
    await new Promise((r) => setTimeout(r, 1_200));
    for (let i = 0; i < CYCLES; i++) {
      const up = await deploy(deps, 'v2', { yes: true });
      assert.equal(up.outcome, 'promoted', `cycle ${i}: deploy v2: ${up.message}`);
      await new Promise((r) => setTimeout(r, 300));
      const back = await rollbackCommand(deps, { yes: true });
      assert.equal(back.outcome, 'rolled_back', `cycle ${i}: rollback: ${back.message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 1_200));
    const report = await load.stop();
    const records = load.records();
    load = null;

    assert.equal(switches.length, 2 * CYCLES + 1);
    assert.ok(report.total.requests > 5_000, `only ${report.total.requests} requests were sent`);
    assert.deepEqual({ non2xx: report.total.non2xx, socketErrors: report.total.socketErrors, errors: report.total.byError },
      { non2xx: 0, socketErrors: 0, errors: {} }, 'every request succeeded');

    // No response from a color that started after its processes were stopped (and before it was started again).
    const afterStop = records.filter((r) => events.some((e, i) => e.kind === 'stopped' && r.color === e.color && r.start > e.at
      && !events.slice(i + 1).some((later) => later.kind === 'started' && later.color === e.color && later.at <= r.start)));
    assert.equal(afterStop.length, 0, `${afterStop.length} responses came from a stopped color`);

    // Slow requests in flight at a switch completed successfully.
    const spanning = records.filter((r) => r.end - r.start >= 1_000 && switches.some((s) => r.start < s && r.end > s));
    assert.ok(spanning.length >= 5, `only ${spanning.length} slow requests were in flight at a switch`);
    assert.ok(spanning.every((r) => r.status === 200 && r.error === null), 'every slow request in flight at a switch completed with 200');
  } finally {
    if (load) await load.stop().catch(() => {});
    await ctx.close();
    await daemon.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
