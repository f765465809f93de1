import type { Ora } from 'ora';
import { isatty } from 'node:tty';
import pc from 'picocolors';
import { formatDuration } from '../config/duration.ts';
import type { Reporter } from '../core/deps.ts';
import type { PhaseRecord } from '../core/types.ts';

const PLAIN_PROGRESS_EVERY_MS = 3_000;
const FALLBACK_COLUMNS = 80;

/**
 * Gives `stream` a usable width. A terminal may report 0 columns (a pty that was never sized, as
 * `script -c` makes): ora divides by the width to count the lines to erase, gets Infinity, and
 * loops forever writing escape codes, with the event loop blocked so not even SIGTERM gets
 * through. 80 columns is what a terminal without a size means in practice. The property is
 * redefined on the stream itself (node's tty stream assigns `columns` on every resize, which
 * the setter keeps) rather than handing ora a wrapper: ora swaps `write` on the streams it
 * draws over, and a wrapper that aliases stderr leaves one of those swaps behind.
 */
function ensureColumns(stream: NodeJS.WriteStream): void {
  const own = Object.getOwnPropertyDescriptor(stream, 'columns');
  if (own?.get) return;
  let columns = stream.columns;
  Object.defineProperty(stream, 'columns', {
    configurable: true,
    enumerable: true,
    get: () => (columns > 0 ? columns : FALLBACK_COLUMNS),
    set: (value: number) => { columns = value; },
  });
}

// ora and its two dozen modules cost about a fifth of a read-only command's start-up, and only
// a terminal ever shows a spinner, so they are imported by `loadSpinner` and only there.
let createSpinner: typeof import('ora').default | undefined;

/** A test of fd 2, not process.stderr.isTTY: reading that builds the stream (gate-prompt.ts says why that matters). */
function interactiveTerminal(): boolean {
  return isatty(2) && !process.env.CI;
}

/** Loads the spinner when stderr is a terminal; without it the reporter prints plain lines. */
export async function loadSpinner(): Promise<void> {
  if (interactiveTerminal()) createSpinner ??= (await import('ora')).default;
}

/**
 * Progress on stderr, so stdout stays clean for --json. On a TTY: a spinner per phase with its
 * elapsed time; otherwise one plain line per event, which is what CI logs want.
 * Colors follow picocolors, which honours NO_COLOR and FORCE_COLOR.
 */
export class TerminalReporter implements Reporter {
  private spinner: Ora | null = null;
  private readonly interactive: boolean;
  private readonly quiet: boolean;
  private phaseStart = 0;
  private ticker: NodeJS.Timeout | null = null;
  private label = '';
  private lastProgressAt = 0;

  constructor(options: { quiet?: boolean } = {}) {
    this.interactive = interactiveTerminal();
    this.quiet = options.quiet ?? false;
  }

  phaseStarted(name: string, description: string): void {
    if (this.quiet) return;
    this.phaseStart = Date.now();
    this.label = `${pc.bold(name.padEnd(15))} ${description}`;
    if (this.interactive && createSpinner) {
      ensureColumns(process.stderr);
      this.spinner = createSpinner({ text: this.label, stream: process.stderr }).start();
      this.ticker = setInterval(() => {
        if (this.spinner) this.spinner.text = `${this.label} ${pc.dim(formatDuration(Date.now() - this.phaseStart))}`;
      }, 200);
    } else {
      process.stderr.write(`[cutover] ${name}: ${description}\n`);
    }
  }

  progress(text: string): void {
    if (this.quiet) return;
    if (this.spinner) {
      this.spinner.text = `${this.label} ${pc.dim(`· ${text}`)}`;
      return;
    }
    // Plain logs get at most one progress line every few seconds: a health check retrying for
    // a minute should not bury the phase lines.
    const now = Date.now();
    if (now - this.lastProgressAt < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastProgressAt = now;
    process.stderr.write(`[cutover]   ${text}\n`);
  }

  phaseFinished(record: PhaseRecord): void {
    if (this.quiet) return;
    this.stopTicker();
    const time = pc.dim(formatDuration(record.durationMs).padStart(6));
    const line = `${pc.bold(record.name.padEnd(15))} ${time}  ${record.detail}`;
    if (this.spinner) {
      const spinner = this.spinner;
      this.spinner = null;
      if (record.status === 'succeeded') spinner.succeed(line);
      else if (record.status === 'failed') spinner.fail(pc.red(line));
      else spinner.info(line);
    } else {
      const mark = record.status === 'succeeded' ? 'ok' : record.status;
      process.stderr.write(`[cutover] ${record.name} ${mark} in ${formatDuration(record.durationMs)}: ${record.detail}\n`);
    }
  }

  info(text: string): void {
    if (this.quiet) return;
    this.pauseSpinner(() => process.stderr.write(`${this.interactive ? pc.cyan('i') : '[cutover]'} ${text}\n`));
  }

  warn(text: string): void {
    this.pauseSpinner(() => process.stderr.write(`${pc.yellow(this.interactive ? '!' : '[cutover] WARNING:')} ${pc.yellow(text)}\n`));
  }

  /** Takes the spinner off the screen while something else (a prompt) owns the terminal. */
  suspend(): void {
    this.stopTicker();
    this.spinner?.stop();
  }

  /** Puts the current phase's spinner back after `suspend`. */
  resume(): void {
    if (!this.spinner) return;
    this.spinner.start(this.label);
    this.ticker = setInterval(() => {
      if (this.spinner) this.spinner.text = `${this.label} ${pc.dim(formatDuration(Date.now() - this.phaseStart))}`;
    }, 200);
  }

  close(): void {
    this.stopTicker();
    this.spinner?.stop();
    this.spinner = null;
  }

  private pauseSpinner(write: () => void): void {
    if (this.spinner) {
      this.spinner.clear();
      write();
      this.spinner.render();
    } else {
      write();
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }
}
