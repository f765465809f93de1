// First: rewrites the deprecated `--color <name>` before picocolors reads argv.
import './legacy-color-flag.ts';
import { buildProgram, CommanderError } from './program.ts';
import { exitWith, reportFailure } from './failure-report.ts';

/**
 * The one top-level catch: known errors become a message and their exit code, commander's usage
 * errors exit 2, and anything else is a bug (70) with a request to report it.
 */
async function main(argv: string[]): Promise<number> {
  let json = false;
  let command: string | undefined;
  try {
    const { program, exitCode } = await buildProgram(argv);
    program.hook('preAction', (_program, action) => {
      json = Boolean(program.opts().json);
      command = [action.name(), ...action.args].join(' ');
    });
    await program.parseAsync(argv);
    return exitCode();
  } catch (caught) {
    return reportFailure(caught, json, command, argv, commanderExitCode);
  }
}

/** commander's own outcomes: help and version exit 0, its usage errors 2. */
function commanderExitCode(err: unknown): number | undefined {
  if (!(err instanceof CommanderError)) return undefined;
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
}

exitWith(await main(process.argv));
