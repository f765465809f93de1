import type { Command } from 'commander';
import { appendStepSummary } from '../../ci/step-summary.ts';
import { assertVersion } from '../../config/fields.ts';
import { CutoverError } from '../../core/errors.ts';
import { deploy } from '../../core/operations/deploy.ts';
import type { FlagsSource } from '../../core/types.ts';
import { openContext } from '../context.ts';
import { noticeOnInterrupt } from '../interrupt-notice.ts';
import { exitCodeFor, printOutcome } from '../output.ts';
import type { Globals } from '../context.ts';

const FLAG_SOURCES: readonly FlagsSource[] = ['auto', 'live', 'idle', 'defaults'];

export function registerDeploy(program: Command, globals: Globals): void {
  program.command('deploy <version>')
    .description('start <version> on the idle color, verify it, switch traffic, monitor, retire the old color')
    .option('--no-switch', 'stop at the gate once verified; `cutover promote` continues')
    .option('--force', 'deploy even when the live color is unhealthy')
    .option('--flags-from <source>', 'feature flags for the new release: auto (the live color\'s, unless flags were set on the idle color for it), live, idle or defaults', 'auto')
    .action(async (version: string, options: { switch: boolean; force?: boolean; flagsFrom: string }) => {
      assertVersion(version);
      if (!FLAG_SOURCES.includes(options.flagsFrom as FlagsSource)) throw new CutoverError('usage', `--flags-from must be ${FLAG_SOURCES.join(', ')}, not "${options.flagsFrom}"`);
      const g = globals();
      const ctx = await openContext(g, `deploy ${version}`);
      const stopNotice = noticeOnInterrupt(ctx.platform.store, () => ctx.reporter.close());
      try {
        // A bad template is a config error (exit 2), found before anything changes.
        await ctx.platform.driver.checkConfig?.();
        const result = await deploy(ctx.deps, version, { noSwitch: !options.switch, yes: g.yes, force: options.force, flagsFrom: options.flagsFrom as FlagsSource });
        ctx.reporter.close();
        printOutcome(result, Boolean(g.json));
        appendStepSummary('deploy', result);
        return exitCodeFor(result);
      } finally {
        stopNotice();
        await ctx.close();
      }
    });
}
