import type { Command } from 'commander';
import pc from 'picocolors';
import { diagnose } from '../../core/operations/diagnose.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

/** `cutover doctor [--fix]`: prints the core's findings; exit 1 when any is a problem. */
export function registerDoctor(program: Command, globals: Globals): void {
  program.command('doctor').description('diagnose the platform, the router, the colors and the lock')
    .option('--fix', 'repair what is safe to repair: remove a damaged or abandoned lock, rebuild a lost record from the platform')
    .action(async (options: { fix?: boolean }) => {
      const g = globals();
      const ctx = await openContext(g, 'doctor');
      let findings;
      try {
        findings = await diagnose(ctx.deps, { fix: options.fix, configPath: ctx.config.configPath, platformKind: ctx.config.platform.kind });
      } finally {
        await ctx.close();
      }
      if (g.json) printJson({ findings });
      else for (const f of findings) {
        const mark = f.verdict === 'ok' ? pc.green('ok     ') : f.verdict === 'warning' ? pc.yellow('warning') : pc.red('PROBLEM');
        process.stdout.write(`${mark} ${f.check.padEnd(18)} ${f.detail}${f.fix ? pc.dim(`\n        ${''.padEnd(18)} fix: ${f.fix}`) : ''}\n`);
      }
      return findings.some((f) => f.verdict === 'problem') ? 1 : 0;
    });
}
