import { isatty } from 'node:tty';
import type { GatePrompt } from '../core/deps.ts';

/**
 * Asks on the terminal only when a person can answer: stdin and stderr are TTYs, CI is not
 * set and --yes was not given. Everywhere else the core never prompts. The TTY test is on the
 * file descriptors: reading process.stdin.isTTY would build the stdin stream (and its modules),
 * a few milliseconds of every command's start-up, `status` included, for a gate that seldom asks.
 */
export function terminalGate(options: { yes: boolean; terminal?: { suspend(): void; resume(): void } }): GatePrompt {
  const interactive = !options.yes && !process.env.CI && isatty(0) && isatty(2);
  return {
    interactive,
    async confirm(question: string, signal: AbortSignal): Promise<boolean> {
      // The phase spinner and the prompt would both redraw the same lines.
      options.terminal?.suspend();
      try {
        // Loaded only when someone is asked: every command builds a gate, few prompt.
        const { confirm, isCancel } = await import('@clack/prompts');
        const answer = await confirm({ message: question, initialValue: false, signal, output: process.stderr });
        return !isCancel(answer) && answer === true;
      } finally {
        options.terminal?.resume();
      }
    },
  };
}

/** For scripts: `CI=true` and `--yes` mean "never ask". */
export function isNonInteractive(yes: boolean): boolean {
  return yes || Boolean(process.env.CI) || !isatty(0);
}
