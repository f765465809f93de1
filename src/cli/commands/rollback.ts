import type { Command } from 'commander';
import { rollbackCommand } from '../../core/operations/rollback-operation.ts';
import { exitCodeForRollback } from '../output.ts';
import { runOperationVerb } from '../run-operation-verb.ts';
import type { Globals } from '../context.ts';

/** `cutover rollback`: one call into the core, printed. */
export function registerRollback(program: Command, globals: Globals): void {
  program.command('rollback').description('send traffic back to the previous color, scaling it up first if it was retired')
    .option('--force', 'roll back even past a contract migration (dangerous)')
    .action((options: { force?: boolean }) => runOperationVerb(globals, 'rollback', (ctx) => rollbackCommand(ctx.deps, { force: options.force, yes: globals().yes }), exitCodeForRollback));
}
