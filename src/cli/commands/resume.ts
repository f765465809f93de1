import type { Command } from 'commander';
import { rebuildRecord } from '../../core/operations/rebuild-record.ts';
import { resume } from '../../core/operations/resume.ts';
import { openContext } from '../context.ts';
import { noticeOnInterrupt } from '../interrupt-notice.ts';
import { exitCodeFor, printJson, printOutcome } from '../output.ts';
import type { Globals } from '../context.ts';

/** `cutover resume`: one call into the core, printed. */
export function registerResume(program: Command, globals: Globals): void {
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
