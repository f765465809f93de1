import type { Command } from 'commander';
import { promote } from '../../core/operations/promote.ts';
import { runOperationVerb } from '../run-operation-verb.ts';
import type { Globals } from '../context.ts';

/** `cutover promote`: one call into the core, printed. */
export function registerPromote(program: Command, globals: Globals): void {
  program.command('promote').description('release a deploy waiting at the gate')
    .action(() => runOperationVerb(globals, 'promote', (ctx) => promote(ctx.deps)));
}
