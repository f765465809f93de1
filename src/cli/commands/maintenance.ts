import type { Command } from 'commander';
import { setMaintenance } from '../../core/operations/maintenance.ts';
import { CutoverError } from '../../core/errors.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

export function registerMaintenance(program: Command, globals: Globals): void {
  program.command('maintenance <on|off>').description('answer live traffic with 503 and a maintenance page, or stop doing so')
    .option('-m, --message <text>', 'message shown on the maintenance page')
    .action(async (mode: string, options: { message?: string }) => {
      if (mode !== 'on' && mode !== 'off') throw new CutoverError('usage', `maintenance takes "on" or "off", not "${mode}"`);
      const g = globals();
      const ctx = await openContext(g, `maintenance ${mode}`);
      try {
        const state = await setMaintenance(ctx.deps, mode === 'on', options.message ?? (mode === 'on' ? ctx.config.maintenance.message : undefined));
        if (g.json) printJson(state);
        else process.stderr.write(state.on ? `maintenance on: live traffic gets 503 "${state.message}"\n` : 'maintenance off: live traffic is served again\n');
        return 0;
      } finally {
        await ctx.close();
      }
    });
}
