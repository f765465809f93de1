import type { Command } from 'commander';
import { appendStepSummary } from '../../ci/step-summary.ts';
import { abortOperation } from '../../core/operations/abort.ts';
import { finalize } from '../../core/operations/finalize.ts';
import { promote } from '../../core/operations/promote.ts';
import { rebuildRecord } from '../../core/operations/rebuild-record.ts';
import { resume } from '../../core/operations/resume.ts';
import { rollbackCommand } from '../../core/operations/rollback-operation.ts';
import type { OperationResult } from '../../core/engine/operation-result.ts';
import { openContext, type CommandContext } from '../context.ts';
import { noticeOnInterrupt } from '../interrupt-notice.ts';
import { exitCodeFor, exitCodeForRollback, printJson, printOutcome } from '../output.ts';
import type { Globals } from '../program.ts';

/** promote, rollback, abort, finalize and resume: each is one call into the core. */
export function registerOperations(program: Command, globals: Globals): void {
  const run = async (name: string, call: (ctx: CommandContext) => Promise<OperationResult | null>, exit = exitCodeFor) => {
    const g = globals();
    const ctx = await openContext(g, name);
    const stopNotice = noticeOnInterrupt(ctx.platform.store, () => ctx.reporter.close());
    try {
      const result = await call(ctx);
      ctx.reporter.close();
      if (!result) {
        if (g.json) printJson({ outcome: null, message: `nothing to ${name}` });
        else process.stderr.write(`nothing to ${name}: no operation is in progress\n`);
        return 0;
      }
      printOutcome(result, Boolean(g.json));
      appendStepSummary(name, result);
      return exit(result);
    } finally {
      stopNotice();
      await ctx.close();
    }
  };

  program.command('promote').description('release a deploy waiting at the gate')
    .action(() => run('promote', (ctx) => promote(ctx.deps)));
  program.command('rollback').description('send traffic back to the previous color, scaling it up first if it was retired')
    .option('--force', 'roll back even past a contract migration (dangerous)')
    .action((options: { force?: boolean }) => run('rollback', (ctx) => rollbackCommand(ctx.deps, { force: options.force, yes: globals().yes }), exitCodeForRollback));
  program.command('abort').description('stop the current operation; the previously live color keeps serving')
    .action(() => run('abort', (ctx) => abortOperation(ctx.deps), (r) => (r.outcome === 'aborted' || r.outcome === 'rolled_back' ? 0 : 1)));
  program.command('finalize').description('end the bake window now and retire the old color')
    .action(() => run('finalize', (ctx) => finalize(ctx.deps)));
  program.command('resume').description('finish or roll back an operation that was interrupted; with none, rebuild a lost record from the platform')
    .action(async () => {
      const g = globals();
      const ctx = await openContext(g, 'resume');
      const stopNotice = noticeOnInterrupt(ctx.platform.store, () => ctx.reporter.close());
      try {
        const result = await resume(ctx.deps);
        ctx.reporter.close();
        if (result) {
          printOutcome(result, Boolean(g.json));
          return exitCodeFor(result);
        }
        const rebuilt = await rebuildRecord(ctx.deps);
        const message = rebuilt.rebuilt ? rebuilt.message : 'nothing to resume: no operation was interrupted, and the record matches the platform';
        if (g.json) printJson({ outcome: null, rebuilt: rebuilt.rebuilt, live: rebuilt.live, message });
        else process.stderr.write(`${message}\n`);
        return 0;
      } finally {
        stopNotice();
        await ctx.close();
      }
    });
}
