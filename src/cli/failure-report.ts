import pc from 'picocolors';
import { join } from 'node:path';
import { EXIT_CODES, isCutoverError } from '../core/errors.ts';
import { describeWriteFailure } from '../drivers/local/write-failure.ts';

/**
 * What a failed command prints and exits with, for both ways into a verb: the full commander
 * program (main.ts) and the status fast path (status-main.ts), so the two cannot drift apart.
 * `usageExitCode` names the exit code of a command-line parser's own errors (commander's), which
 * main.ts recognises (the fast path never loads commander, so it passes none).
 */
export async function reportFailure(caught: unknown, json: boolean, command: string | undefined, argv: readonly string[], usageExitCode: (err: unknown) => number | undefined = () => undefined): Promise<number> {
  const { code, err } = report(caught, json, usageExitCode);
  if (process.env.GITHUB_STEP_SUMMARY && code !== 0) {
    // Loaded only in CI, and only on this path: --version and --help never pay for it.
    const { appendErrorSummary, SUMMARY_COMMANDS } = await import('../ci/step-summary.ts');
    // A usage error stops before any action: the verb is then the first one named in argv.
    const name = command ?? argv.slice(2).find((arg) => SUMMARY_COMMANDS.has(arg));
    if (name) appendErrorSummary(name, { message: (err as Error)?.message ?? String(err), code: (err as { code?: string })?.code }, code);
  }
  return code;
}

/** Reports `caught` on stderr (and stdout with --json); returns its exit code and the error as described. */
function report(caught: unknown, json: boolean, usageExitCode: (err: unknown) => number | undefined): { code: number; err: unknown } {
  // A full or read-only disk is an operational fault, not a bug: name the disk, exit 1.
  // Writes that know their file already say so; for the rest, the state directory's disk.
  const errno = caught as NodeJS.ErrnoException;
  const err = isCutoverError(caught) ? caught : describeWriteFailure(caught, errno?.path ?? join(process.cwd(), '.cutover'));
  const usage = usageExitCode(err);
  if (usage !== undefined) return { code: usage, err };
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

/** Sets the exit code and ends the process soon after: open handles (keep-alive sockets, timers) must not keep a finished command alive. */
export function exitWith(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 50).unref();
}
