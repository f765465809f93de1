import type { StateStore } from '../core/store.ts';
import { COLORS, type AppState } from '../core/types.ts';

/** How long the notice may take to read the record before the process exits anyway. */
const NOTICE_DEADLINE_MS = 2_000;

/**
 * While an operation runs, Ctrl-C (SIGINT) or SIGTERM stops this process promptly and says what
 * it left behind and which command comes next. Nothing is undone here: the record was saved at
 * the last phase transition, the lock is recovered by the next command once this process is
 * gone, and `resume` or `abort` reconcile with reality (an undo on the way out could itself be
 * cut short, and a person pressing Ctrl-C wants the terminal back). A second signal exits at once.
 * @returns a function that removes the handlers (call it when the operation has ended).
 */
export function noticeOnInterrupt(store: StateStore, beforeNotice: () => void): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (stopping) process.exit(code);
    stopping = true;
    beforeNotice();
    setTimeout(() => process.exit(code), NOTICE_DEADLINE_MS);
    store.load()
      .then((state) => describeLeftBehind(state))
      .catch((err: Error) => `interrupted; the record could not be read (${err.message}). Run \`cutover status\` to see what runs.`)
      .then((text) => {
        process.stderr.write(`\n${text}\n`);
        process.exit(code);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** What an interrupted operation left, from its record, and the command that deals with it. */
export function describeLeftBehind(state: AppState | null): string {
  const op = state?.operation;
  if (!state || !op) return 'interrupted before any change was recorded; nothing was left behind.';
  const lines = [`interrupted: the ${op.kind}${op.version ? ` of ${op.version}` : ''} stopped at phase ${op.phase}. Left behind:`];
  for (const color of COLORS) {
    const record = state.colors[color];
    if (!record.version) continue;
    if (state.live === color) lines.push(`  ${color} (${record.version}) serves live traffic${color === op.target ? '; its bake window did not finish' : ''}`);
    else lines.push(`  ${color} (${record.version}) is ${record.state}, not live${color === op.target ? ' (the new release)' : ''}`);
  }
  if (!state.live) lines.push('  nothing serves live traffic yet');
  const waiting = op.phases.at(-1)?.status === 'waiting';
  lines.push(waiting
    ? 'Next: `cutover promote` to switch, or `cutover abort` to drop it.'
    : 'Next: `cutover resume` to finish it, or `cutover abort` to undo it (`cutover status` shows where traffic goes now).');
  return lines.join('\n');
}
