import { appendStepSummary } from '../ci/step-summary.ts';
import type { OperationResult } from '../core/engine/operation-result.ts';
import { openContext, type CommandContext } from './context.ts';
import { noticeOnInterrupt } from './interrupt-notice.ts';
import { exitCodeFor, printJson, printOutcome } from './output.ts';
import type { Globals } from './context.ts';

/**
 * The body of promote, rollback, abort and finalize: open the context, make the one call into
 * the core, print the result (or "nothing to <verb>") and return the exit code.
 */
export async function runOperationVerb(globals: Globals, name: string, call: (ctx: CommandContext) => Promise<OperationResult | null>, exit: (result: OperationResult) => number = exitCodeFor): Promise<number> {
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
}
