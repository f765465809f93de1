import { rmSync } from 'node:fs';
import Table from 'cli-table3';
import pc from 'picocolors';
import { deploy } from '../core/operations/deploy.ts';
import type { Reporter } from '../core/deps.ts';
import type { OperationResult } from '../core/engine/operation-result.ts';
import { openContext } from '../cli/context.ts';
import { runDaemonInForeground } from '../cli/commands/run-daemon.ts';
import { loadConfig } from '../config/load.ts';
import { LoadGenerator } from '../loadgen/load-generator.ts';
import type { WindowSummary } from '../loadgen/load-recorder.ts';
import { createDemoWorkspace } from './demo-workspace.ts';

export interface DemoResult {
  passed: boolean;
  windows: WindowSummary[];
  good: OperationResult;
  bad: OperationResult;
  v3Requests: number;
}

const say = (text: string) => process.stderr.write(`${text}\n`);

/**
 * `cutover demo`: a real cutover on this machine, under load, in a temporary directory.
 * v1 goes live on blue, v2 is released to green through every phase, and a v3 whose readiness
 * check fails is refused. Nothing is left running afterwards.
 */
export async function runDemo(options: { keep?: boolean; connections?: number } = {}): Promise<DemoResult> {
  const { dir, configPath } = createDemoWorkspace();
  const config = loadConfig(configPath);
  const daemon = await runDaemonInForeground(config);
  const ctx = await openContext({ config: configPath, yes: true }, 'demo');
  let load: LoadGenerator | null = null;
  const reporter = ctx.deps.reporter;
  const marking: Reporter = {
    ...bind(reporter),
    phaseStarted(name, description) {
      load?.mark(`${currentVersion} ${name}`);
      reporter.phaseStarted(name, description);
    },
  };
  let currentVersion = 'v1';
  const deps = { ...ctx.deps, reporter: marking };
  let cleaning: Promise<void> | null = null;
  // Once, from the normal end or from a signal: stop the load, the daemon and every replica it
  // started (they run in their own process groups, so Ctrl-C at the terminal does not reach
  // them), then remove the workspace.
  const cleanup = () => (cleaning ??= (async () => {
    if (load) await load.stop().catch(() => {});
    await ctx.close().catch(() => {});
    await daemon.shutdown();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  })());
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (cleaning) return; // already stopping; a second Ctrl-C must not leave replicas behind
    reporter.warn(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the demo, its replicas and its daemon${options.keep ? '' : `, and removing ${dir}`}`);
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    say(pc.bold(`\ncutover demo: a blue/green release on this machine (workspace ${dir})\n`));
    say(`${pc.bold('1.')} v1 goes live on blue (first deploy)`);
    const first = await deploy(deps, 'v1', { yes: true });
    if (first.outcome !== 'promoted') throw new Error(`v1 did not go live: ${first.message}`);
    const main = daemon.router.address.main;
    const connections = options.connections ?? 16;
    say(`\n${pc.bold('2.')} steady load on ${main}: ${connections} keep-alive connections, 1% slow (1s) requests, some new connections`);
    load = new LoadGenerator({ url: main, model: 'closed', connections, durationMs: 120_000, slowFraction: 0.01, slowPath: '/slow?ms=1000', newConnectionFraction: 0.05 }).start();
    load.mark('v1 live');
    // Pauses for the people watching the demo (and its load chart): real time by design.
    await new Promise((r) => setTimeout(r, 1_500));
    say(`\n${pc.bold('3.')} deploy v2 to green: provision, verify, switch, monitor, retire`);
    currentVersion = 'v2';
    const good = await deploy(deps, 'v2', { yes: true });
    load.mark('v2 live');
    await new Promise((r) => setTimeout(r, 1_000));
    say(`\n${pc.bold('4.')} deploy v3, whose readiness check reports its database down`);
    currentVersion = 'v3';
    const bad = await deploy(deps, 'v3', { yes: true });
    load.mark('after v3');
    await new Promise((r) => setTimeout(r, 1_000));
    const report = await load.stop();
    load = null;
    const v3Requests = report.total.byVersion.v3 ?? 0;
    const goodWindows = report.windows.filter((w) => w.label.startsWith('v2'));
    const goodErrors = goodWindows.reduce((n, w) => n + w.non2xx + w.socketErrors, 0);
    const allErrors = report.total.non2xx + report.total.socketErrors;
    printTable(report.windows, report.total);
    const passed = good.outcome === 'promoted' && goodErrors === 0 && allErrors === 0 && bad.outcome === 'failed' && v3Requests === 0;
    say('');
    say(`${good.outcome === 'promoted' ? pc.green('✓') : pc.red('✗')} v2 ${good.outcome}: ${goodErrors} failed requests during its release (${goodWindows.reduce((n, w) => n + w.requests, 0)} sent)`);
    say(`${bad.outcome === 'failed' ? pc.green('✓') : pc.red('✗')} v3 ${bad.outcome === 'failed' ? 'refused' : bad.outcome}: ${bad.message}`);
    say(`${v3Requests === 0 ? pc.green('✓') : pc.red('✗')} v3 served ${v3Requests} live requests; ${report.total.requests} requests in total, ${allErrors} failed`);
    say(passed ? pc.green(pc.bold('\ndemo passed: zero-downtime release, bad release refused')) : pc.red(pc.bold('\ndemo FAILED')));
    return { passed, windows: report.windows, good, bad, v3Requests };
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function bind(reporter: Reporter): Reporter {
  return {
    phaseStarted: reporter.phaseStarted.bind(reporter),
    progress: reporter.progress.bind(reporter),
    phaseFinished: reporter.phaseFinished.bind(reporter),
    info: reporter.info.bind(reporter),
    warn: reporter.warn.bind(reporter),
  };
}

function printTable(windows: WindowSummary[], total: WindowSummary): void {
  const table = new Table({ head: ['window', 'requests', 'non-2xx', 'socket errors', 'p50 ms', 'p99 ms', 'served by'], style: { head: [], border: [] } });
  const row = (w: WindowSummary) => [w.label, w.requests, w.non2xx, w.socketErrors, w.p50Ms?.toFixed(1) ?? '-', w.p99Ms?.toFixed(1) ?? '-', Object.entries(w.byVersion).map(([v, n]) => `${v}:${n}`).join(' ')];
  for (const w of windows) if (w.requests > 0) table.push(row(w));
  table.push(row({ ...total, label: 'total' }));
  process.stderr.write(`\n${table.toString()}\n`);
}
