import type { Command } from 'commander';
import pc from 'picocolors';
import { systemClock } from '../../core/deps.ts';
import { COLORS } from '../../core/types.ts';
import { readStatus, type StatusReport } from '../../core/operations/status-report.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { GlobalOptions, Globals } from '../context.ts';

function render(report: StatusReport): string {
  const lines = [`${pc.bold(report.app)}  live: ${report.live.color ? pc.green(`${report.live.color} ${report.live.version}`) : pc.dim('nothing')}${report.maintenance.on ? pc.yellow(`  MAINTENANCE: ${report.maintenance.message ?? ''}`) : ''}`];
  for (const color of COLORS) {
    const c = report.colors[color];
    const health = c.healthy === null ? pc.dim('-') : c.healthy ? pc.green('healthy') : pc.red('unhealthy');
    const ready = c.ready === null ? 'unknown' : `${c.ready}/${c.desired}`;
    lines.push(`  ${color.padEnd(6)} ${String(c.version ?? '-').padEnd(14)} ${c.state.padEnd(12)} ready ${ready.padEnd(6)} ${health}${c.detail ? pc.dim(`  ${c.detail}`) : ''}`);
  }
  if (report.operation) lines.push(`  operation: ${report.operation.kind} ${report.operation.version ?? ''} at ${report.operation.phase}${report.operation.waiting ? ' (waiting for `cutover promote`)' : ''} by ${report.operation.holder}`);
  const last = report.lastOutcome;
  if (last && !report.operation && last.outcome !== 'promoted' && last.message) lines.push(`  last ${last.kind}: ${last.outcome}: ${last.message}`);
  for (const w of report.warnings) lines.push(pc.red(pc.bold(`  ! ${w}`)));
  return lines.join('\n');
}

export function registerStatus(program: Command, globals: Globals): void {
  program.command('status').description('show the live color, both colors, and any operation in progress')
    .option('-w, --watch', 'refresh every second until interrupted')
    .option('--probe', 'also run the health checks against every replica (on Kubernetes through port-forward; by default status reads pod readiness from the cluster)')
    .action(async (options: StatusOptions) => runStatus(globals(), options));
}

export interface StatusOptions { watch?: boolean; probe?: boolean }

/** The status verb's action; the full program and the status fast path (status-main.ts) both run it. */
export async function runStatus(g: GlobalOptions, options: StatusOptions): Promise<number> {
  const ctx = await openContext(g, 'status');
  try {
    do {
      const { report, liveFailing } = await readStatus(ctx.deps, { probe: options.probe });
      if (g.json) printJson(report);
      else process.stdout.write(`${options.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${render(report)}\n`);
      // 1 when live traffic is failing or reality could not be read (no daemon, no API
      // server): the same on every platform, so a script can tell "unknown" from "fine".
      if (!options.watch) return liveFailing || !report.platform.reachable ? 1 : 0;
      // The refresh of a display, on the operation's clock like every other wait the CLI makes.
      await (ctx.deps.clock ?? systemClock).sleep(1_000);
    } while (true);
  } finally {
    await ctx.close();
  }
}
