import type { Command } from 'commander';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

export function registerDemo(program: Command, globals: Globals): void {
  program.command('demo').description('run a real blue/green release under load in a temporary directory (needs no setup)')
    .option('--keep', 'keep the temporary workspace')
    .action(async (options: { keep?: boolean }) => {
      const { runDemo } = await import('../../demo/run-demo.ts');
      const result = await runDemo({ keep: options.keep });
      if (globals().json) printJson(result);
      return result.passed ? 0 : 1;
    });
}
