import type { Command } from 'commander';
import pc from 'picocolors';
import { CutoverError } from '../../core/errors.ts';
import { otherColor, type Color } from '../../core/types.ts';
import { openContext } from '../context.ts';
import type { Globals } from '../context.ts';

export function registerLogs(program: Command, globals: Globals): void {
  program.command('logs').description("print a color's logs (default: the live color)")
    .option('--target-color <color>', 'blue, green, live or idle', 'live')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <n>', 'lines per process to start with', '100')
    .action(async (options: { targetColor: string; follow?: boolean; tail: string }) => {
      const g = globals();
      const ctx = await openContext(g, 'logs');
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      try {
        const state = await ctx.platform.store.load();
        const live = state?.live ?? 'blue';
        const which = options.targetColor;
        const color: Color = which === 'live' ? live : which === 'idle' ? otherColor(live) : (which as Color);
        if (color !== 'blue' && color !== 'green') throw new CutoverError('usage', `--target-color must be blue, green, live or idle, not "${which}"`);
        for await (const line of ctx.platform.driver.logs(color, { follow: options.follow, tail: Number(options.tail), signal: controller.signal })) {
          if (g.json) {
            // One JSON object per line (not one document), so `--follow` can stream it.
            process.stdout.write(`${JSON.stringify({ color: line.color, source: line.source, stream: line.stream, line: line.line })}\n`);
            continue;
          }
          const prefix = pc.dim(`[${line.source}${line.stream === 'stderr' ? ' err' : ''}]`);
          process.stdout.write(`${prefix} ${line.line}\n`);
        }
        return 0;
      } finally {
        await ctx.close();
      }
    });
}
