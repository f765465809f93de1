import type { Command } from 'commander';
import { abortOperation } from '../../core/operations/abort.ts';
import { runOperationVerb } from '../run-operation-verb.ts';
import type { Globals } from '../context.ts';

/** `cutover abort`: one call into the core, printed. */
export function registerAbort(program: Command, globals: Globals): void {
  program.command('abort').description('stop the current operation; the previously live color keeps serving')
    .action(() => runOperationVerb(globals, 'abort', (ctx) => abortOperation(ctx.deps), (r) => (r.outcome === 'aborted' || r.outcome === 'rolled_back' ? 0 : 1)));
}
