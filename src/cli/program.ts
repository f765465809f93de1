import { Command, CommanderError } from 'commander';
import { registerDeploy } from './commands/deploy.ts';
import { registerOperations } from './commands/operations.ts';
import { registerStatus } from './commands/status.ts';
import { registerHistory } from './commands/history.ts';
import { registerLogs } from './commands/logs.ts';
import { registerMaintenance } from './commands/maintenance.ts';
import { registerFlags } from './commands/flags.ts';
import { registerUpDown } from './commands/up-down.ts';
import { registerInit } from './commands/init.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerRbac } from './commands/rbac.ts';
import { registerDemo } from './commands/demo.ts';
import { registerMigrations } from './commands/migrations-cli.ts';
import type { GlobalOptions } from './context.ts';

export type Globals = () => GlobalOptions;

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

/** Every verb of DESIGN.md's CLI contract. Actions return the process exit code. */
export function buildProgram(): { program: Command; exitCode: () => number } {
  const program = new CutoverCommand('cutover');
  program
    .description('verified, zero-downtime blue/green releases, locally or on Kubernetes')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .option('--json', 'machine-readable result on stdout (progress stays on stderr)')
    .option('-y, --yes', 'never prompt (CI)')
    .showHelpAfterError()
    .exitOverride();
  const globals: Globals = () => program.opts<GlobalOptions>();
  registerInit(program, globals);
  registerUpDown(program, globals);
  registerDeploy(program, globals);
  registerStatus(program, globals);
  registerOperations(program, globals);
  registerHistory(program, globals);
  registerLogs(program, globals);
  registerMaintenance(program, globals);
  registerFlags(program, globals);
  registerDoctor(program, globals);
  registerRbac(program, globals);
  registerMigrations(program, globals);
  registerDemo(program, globals);
  return { program, exitCode: () => program.exitCode };
}

export { CommanderError };
