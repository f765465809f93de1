import type { Command } from 'commander';
import pc from 'picocolors';
import { isCutoverError } from '../../core/errors.ts';
import type { PlatformStatus } from '../../core/driver.ts';
import { COLORS, emptyState, type AppState, type Color } from '../../core/types.ts';
import { recordDisagreement } from '../../core/operations/rebuild-record.ts';
import { openContext, type CommandContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

export interface StatusReport {
  app: string;
  live: { color: Color | null; version: string | null };
  /** `ready` and `desired` are replica counts, null when the platform could not be read. */
  colors: Record<Color, { version: string | null; state: string; healthy: boolean | null; ready: number | null; desired: number | null; detail?: string }>;
  /** `holderGone`: the process that ran it is dead (interrupted; `resume` or `abort`), or it waits at the gate. */
  operation: { id: string; kind: string; version: string | null; phase: string; holder: string; holderGone: boolean; waiting: boolean } | null;
  maintenance: { on: boolean; message?: string };
  platform: { reachable: boolean; live: Color | null; error?: string };
  /** The last finished operation and why it ended so (a rollback names its signal and evidence). */
  lastOutcome: AppState['lastOutcome'];
  warnings: string[];
}

/** Reads cutover's record and the platform's reality, and says where they disagree. */
export async function collectStatus(ctx: CommandContext, options: { probe?: boolean } = {}): Promise<StatusReport> {
  const warnings: string[] = [];
  let error: string | undefined;
  // The record, the platform and the lock are independent reads: on Kubernetes each is an API
  // round trip, so they go out together rather than one after the other.
  const [stored, platform, lockRead] = await Promise.all([
    ctx.platform.store.load(),
    ctx.platform.driver.status().catch((err: unknown): PlatformStatus | null => {
      if (!isCutoverError(err)) throw err;
      error = err.message;
      return null;
    }),
    // A user without rights on the lock (a view-only role) still gets a status; it says why.
    ctx.platform.store.lockHolder().catch((err: unknown) => {
      if (!isCutoverError(err)) throw err;
      return { unreadable: err.message } as const;
    }),
  ]);
  const state: AppState = stored ?? emptyState(ctx.config.app);
  const colors = {} as StatusReport['colors'];
  for (const color of COLORS) {
    const record = state.colors[color];
    const real = platform?.colors[color];
    let healthy: boolean | null = null;
    if (real && real.desired > 0) {
      // A platform that measures health itself (Kubernetes readiness probes) is read, not
      // probed again: a probe from here goes through a port-forward per pod and costs seconds.
      const fromPlatform = ctx.platform.driver.reportsHealth && !options.probe;
      const probe = fromPlatform ? { ok: true } : await ctx.deps.verifier.probe(await ctx.platform.driver.targets(color), AbortSignal.timeout(5_000)).catch(() => null);
      healthy = Boolean(probe?.ok) && !real.crashLooping && real.ready === real.desired;
    }
    colors[color] = { version: record.version, state: record.state, healthy, ready: real ? real.ready : null, desired: real ? real.desired : null, detail: real?.detail };
  }
  const op = state.operation;
  // Planned maintenance moves live traffic away on purpose (on Kubernetes, the selector points
  // at the maintenance pods): that is not a record out of step with reality.
  const disagreement = platform && !op && !platform.maintenance.on ? recordDisagreement(stored, platform) : null;
  if (disagreement) warnings.push(`record and reality disagree: ${disagreement}; run \`cutover doctor --fix\` (or \`cutover resume\`) to rebuild the record from the platform`);
  if (platform && state.live && platform.colors[state.live].ready === 0) warnings.push(`THE LIVE COLOR ${state.live.toUpperCase()} HAS NO READY REPLICAS: live traffic is failing. cutover will not switch to an unverified color by itself; deploy a fix or \`cutover rollback\``);
  if (!platform) warnings.push(`the platform is unreachable: ${error}`);
  if (lockRead && 'unreadable' in lockRead) warnings.push(`cannot read the lock: ${lockRead.unreadable}`);
  const lock = lockRead && 'unreadable' in lockRead ? null : lockRead;
  let holderGone = false;
  if (op) {
    holderGone = await ctx.platform.store.isHolderGone(op.holder);
    const lockedByOther = lock && !lock.damaged && (lock.pid !== op.holder.pid || lock.host !== op.holder.host) && !(await ctx.platform.store.isHolderGone(lock));
    const waiting = op.phases.at(-1)?.status === 'waiting';
    if (holderGone && !waiting && !lockedByOther) {
      warnings.push(`the ${op.kind} of ${op.version ?? '-'} was interrupted at ${op.phase}: its process (${op.holder.command}, pid ${op.holder.pid} on ${op.holder.host}) is gone. Run \`cutover resume\` to finish it, or \`cutover abort\` to undo it`);
    }
  }
  if (lock?.damaged) warnings.push(`${lock.damaged}; the next operation recovers it, or run \`cutover doctor --fix\``);
  else if (lock && !op && (await ctx.platform.store.isHolderGone(lock))) warnings.push(`the lock is held by ${lock.command} (pid ${lock.pid} on ${lock.host}), which is gone; the next operation recovers it`);
  return {
    app: state.app,
    live: { color: state.live, version: state.live ? state.colors[state.live].version : null },
    colors,
    operation: op ? { id: op.id, kind: op.kind, version: op.version, phase: op.phase, holder: `${op.holder.command} (pid ${op.holder.pid} on ${op.holder.host})`, holderGone, waiting: op.phases.at(-1)?.status === 'waiting' } : null,
    maintenance: platform?.maintenance ?? state.maintenance,
    platform: { reachable: platform !== null, live: platform?.live ?? null, error },
    lastOutcome: state.lastOutcome,
    warnings,
  };
}

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
    .action(async (options: { watch?: boolean; probe?: boolean }) => {
      const g = globals();
      const ctx = await openContext(g, 'status');
      try {
        do {
          const report = await collectStatus(ctx, { probe: options.probe });
          if (g.json) printJson(report);
          else process.stdout.write(`${options.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${render(report)}\n`);
          // 1 when live traffic is failing or reality could not be read (no daemon, no API
          // server): the same on every platform, so a script can tell "unknown" from "fine".
          if (!options.watch) return report.warnings.some((w) => w.startsWith('THE LIVE')) || !report.platform.reachable ? 1 : 0;
          await new Promise((r) => setTimeout(r, 1_000));
        } while (true);
      } finally {
        await ctx.close();
      }
    });
}
