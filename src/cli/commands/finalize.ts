import type { Command } from 'commander';
import { finalize } from '../../core/operations/finalize.ts';
import { runOperationVerb } from '../run-operation-verb.ts';
import type { Globals } from '../context.ts';

/** `cutover finalize`: one call into the core, printed. */
export function registerFinalize(program: Command, globals: Globals): void {
  program.command('finalize').description('end the bake window now and retire the old color')
    .action(() => runOperationVerb(globals, 'finalize', (ctx) => finalize(ctx.deps)));
}
