/*
 * The status fast path: `cutover status` is the command run most often (by people, scripts and
 * dashboards polling), and loading commander, the program and the ~24 small chunks of the
 * status path was most of what the installed command cost beyond node itself
 * (docs/BENCHMARKS.md, k8s-switch). bin/cutover runs this file when argv names `status`. A
 * command line it does not fully understand goes to the full program (main.ts), which then reads
 * argv itself, so --help, bad usage and their messages stay commander's.
 */
// First, as in main.ts: rewrites the deprecated `--color <name>` before picocolors reads argv.
import './legacy-color-flag.ts';
import { readStatusInvocation } from './status-invocation.ts';
import { exitWith, reportFailure } from './failure-report.ts';
import { runStatus } from './commands/status.ts';

// No top-level await: the installed package runs this file as one CommonJS bundle
// (dist/cli/status-main.cjs: scripts/build.mjs says why), and CommonJS has none.
async function main(): Promise<void> {
  const invocation = readStatusInvocation(process.argv.slice(2));
  if (invocation === undefined) {
    await import('./main.ts');
    return;
  }
  let code: number;
  try {
    code = await runStatus(invocation.globals, { watch: invocation.watch, probe: invocation.probe });
  } catch (caught) {
    code = await reportFailure(caught, Boolean(invocation.globals.json), 'status', process.argv);
  }
  exitWith(code);
}
void main();
