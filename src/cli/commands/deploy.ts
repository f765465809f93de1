import type { Command } from 'commander';
import { assertVersion } from '../../config/fields.ts';
import { deploy } from '../../core/operations/deploy.ts';
import { openContext } from '../context.ts';
import { exitCodeFor, printOutcome } from '../output.ts';
import type { Globals } from '../program.ts';

export function registerDeploy(program: Command, globals: Globals): void {
  program.command('deploy <version>')
    .description('start <version> on the idle color, verify it, switch traffic, monitor, retire the old color')
    .option('--no-switch', 'stop at the gate once verified; `cutover promote` continues')
    .option('--force', 'deploy even when the live color is unhealthy')
    .action(async (version: string, options: { switch: boolean; force?: boolean }) => {
      assertVersion(version);
      const g = globals();
      const ctx = await openContext(g, `deploy ${version}`);
      try {
        // A bad template is a config error (exit 2), found before anything changes.
        await ctx.platform.driver.checkConfig?.();
        const result = await deploy(ctx.deps, version, { noSwitch: !options.switch, yes: g.yes, force: options.force });
        ctx.reporter.close();
        printOutcome(result, Boolean(g.json));
        return exitCodeFor(result);
      } finally {
        await ctx.close();
      }
    });
}
