import { Command, CommanderError, type Option } from 'commander';
import { findVerb, VERBS, type VerbEntry } from './verbs.ts';
import type { GlobalOptions, Globals } from './context.ts';
import { packageVersion } from '../package-root.ts';

declare module 'commander' {
  interface Command {
    /** Actions may return the exit code (see CutoverCommand). */
    action(fn: (...args: any[]) => unknown): this;
  }
}

/**
 * A command whose action may return the process exit code. Subcommands are created through
 * `createCommand`, so every verb gets this behaviour.
 */
class CutoverCommand extends Command {
  exitCode = 0;

  override createCommand(name?: string): Command {
    const child = new CutoverCommand(name);
    child.root = this.root;
    return child;
  }

  root: CutoverCommand = this;

  override action(fn: (...args: any[]) => unknown): this {
    return super.action(async (...args: unknown[]) => {
      const result = await fn(...args);
      if (typeof result === 'number') this.root.exitCode = result;
    });
  }
}

/**
 * The program with the verbs `argv` needs: only the module of the verb being run is imported,
 * and `--help`, `--version` or an unknown verb get every verb as a name and a summary without
 * loading any of them (see verbs.ts). `loadAll` registers every verb in full (for tests).
 */
export async function buildProgram(argv: readonly string[] = [], options: { loadAll?: boolean } = {}): Promise<{ program: Command; exitCode: () => number }> {
  const program = new CutoverCommand('cutover');
  program
    .description('verified, zero-downtime blue/green releases, locally or on Kubernetes')
    .version(packageVersion(), '-V, --version', 'print the cutover version')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .option('--json', 'machine-readable result on stdout (progress stays on stderr)')
    .option('-y, --yes', 'never prompt (CI)')
    .showHelpAfterError()
    .exitOverride();
  const globals: Globals = () => program.opts<GlobalOptions>();
  const operands = leadingOperands(program.options, argv.slice(2));
  const entry = findVerb(operands[0] === 'help' ? operands[1] : operands[0]);
  const wanted: readonly VerbEntry[] = options.loadAll ? VERBS : entry ? [entry] : [];
  for (const verb of wanted) (await verb.load())(program, globals);
  if (wanted.length === 0) {
    for (const verb of VERBS) for (const name of verb.verbs) program.command(name).description(verb.summary[name] ?? '');
    // The placeholders declare no options or arguments: show the ones the verbs.ts entry records.
    const usage = new Map(VERBS.flatMap((verb) => Object.entries(verb.usage ?? {})));
    program.configureHelp({ subcommandTerm: (command) => [command.name(), usage.get(command.name())].filter(Boolean).join(' ') });
  }
  return { program, exitCode: () => program.exitCode };
}

/**
 * The first two operands of the command line, skipping the program's own options and their
 * values (`-c file`, `--config=file`), so a config named like a verb is not taken for one.
 */
function leadingOperands(globalOptions: readonly Option[], args: readonly string[]): string[] {
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i]!;
    if (arg === '--') { operands.push(...args.slice(i + 1, i + 3)); break; }
    if (!arg.startsWith('-') || arg === '-') { operands.push(arg); continue; }
    if (arg.includes('=')) continue;
    const option = globalOptions.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++;
  }
  return operands;
}

export { CommanderError };
