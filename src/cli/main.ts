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
  try {
    const { program, exitCode } = await buildProgram(argv);
    program.hook('preAction', () => { json = Boolean(program.opts().json); });
    await program.parseAsync(argv);
    return exitCode();
  } catch (caught) {
    // A full or read-only disk is an operational fault, not a bug: name the disk, exit 1.
    // Writes that know their file already say so; for the rest, the state directory's disk.
    const errno = caught as NodeJS.ErrnoException;
    const err = isCutoverError(caught) ? caught : describeWriteFailure(caught, errno?.path ?? join(process.cwd(), '.cutover'));
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (isCutoverError(err)) {
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }, null, 2)}\n`);
      process.stderr.write(`${pc.red('error:')} ${err.message}\n`);
      if (process.env.CUTOVER_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
      return EXIT_CODES[err.code];
    }
    process.stderr.write(`${pc.red('internal error:')} ${(err as Error)?.message ?? String(err)}\nThis is a bug in cutover; please report it with the output of \`CUTOVER_DEBUG=1 cutover ...\`.\n`);
    if (process.env.CUTOVER_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    return EXIT_CODES.internal;
  }
}

const code = await main(process.argv);
process.exitCode = code;
// Open handles (keep-alive sockets, timers) must not keep a finished command alive.
setTimeout(() => process.exit(code), 50).unref();
