import type { Command } from 'commander';
import pc from 'picocolors';
import { formatDuration } from '../../config/duration.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

export function registerHistory(program: Command, globals: Globals): void {
  program.command('history').description('show past operations, phase by phase')
    .option('-n, --limit <n>', 'entries to show', '50')
    .action(async (options: { limit: string }) => {
      const g = globals();
      const ctx = await openContext(g, 'history');
      try {
        // Warnings go to stderr, so `--json` output stays one parseable document.
        const entries = await ctx.platform.store.history(Number(options.limit), { onSkippedLine: (message) => ctx.reporter.warn(message) });
        if (g.json) {
          printJson(entries);
          return 0;
        }
        for (const e of entries) {
          const when = pc.dim(e.at.replace('T', ' ').slice(0, 19));
          if (e.event === 'started') process.stdout.write(`${when} ${pc.bold(`${e.kind} ${e.version ?? ''}`)} started (${e.operationId})\n`);
          else if (e.event === 'phase' && e.phase) process.stdout.write(`${when}   ${e.phase.name.padEnd(15)} ${e.phase.status.padEnd(9)} ${formatDuration(e.phase.durationMs).padStart(6)}  ${e.phase.detail}\n`);
          else if (e.event === 'finished') process.stdout.write(`${when} ${e.outcome ? `${pc.bold(e.outcome)}: ` : ''}${e.message ?? ''}\n`);
        }
        if (entries.length === 0) process.stdout.write('no history yet\n');
        return 0;
      } finally {
        await ctx.close();
      }
    });
}
