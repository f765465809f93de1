// First: rewrites the deprecated `--color <name>` before picocolors reads argv.
import './legacy-color-flag.ts';
import pc from 'picocolors';
import { buildProgram, CommanderError } from './program.ts';
import { join } from 'node:path';
import { EXIT_CODES, isCutoverError } from '../core/errors.ts';
import { describeWriteFailure } from '../drivers/local/write-failure.ts';

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
    const { code, err } = report(caught, json);
    if (process.env.GITHUB_STEP_SUMMARY && code !== 0) {
      // Loaded only in CI, and only on this path: --version and --help never pay for it.
      const { appendErrorSummary, SUMMARY_COMMANDS } = await import('../ci/step-summary.ts');
      // A usage error stops before any action: the verb is then the first one named in argv.
      const name = command ?? argv.slice(2).find((arg) => SUMMARY_COMMANDS.has(arg));
      if (name) appendErrorSummary(name, { message: (err as Error)?.message ?? String(err), code: (err as { code?: string })?.code }, code);
    }
    return code;
  }
}

/** Reports `caught` on stderr (and stdout with --json); returns its exit code and the error as described. */
function report(caught: unknown, json: boolean): { code: number; err: unknown } {
  // A full or read-only disk is an operational fault, not a bug: name the disk, exit 1.
    // Writes that know their file already say so; for the rest, the state directory's disk.
  const errno = caught as NodeJS.ErrnoException;
  const err = isCutoverError(caught) ? caught : describeWriteFailure(caught, errno?.path ?? join(process.cwd(), '.cutover'));
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return { code: 0, err };
    return { code: 2, err };
  }
  if (isCutoverError(err)) {
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }, null, 2)}\n`);
    process.stderr.write(`${pc.red('error:')} ${err.message}\n`);
    if (process.env.CUTOVER_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return { code: EXIT_CODES[err.code], err };
  }
  process.stderr.write(`${pc.red('internal error:')} ${(err as Error)?.message ?? String(err)}\nThis is a bug in cutover; please report it with the output of \`CUTOVER_DEBUG=1 cutover ...\`.\n`);
  if (process.env.CUTOVER_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  return { code: EXIT_CODES.internal, err };
}

const code = await main(process.argv);
process.exitCode = code;
// Open handles (keep-alive sockets, timers) must not keep a finished command alive.
setTimeout(() => process.exit(code), 50).unref();
