import pc from 'picocolors';
import type { OperationResult } from '../core/engine/operation-result.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Exit code for an operation's outcome, per DESIGN.md: 0 success, 1 failed or rolled back. */
export function exitCodeFor(result: OperationResult): number {
  return result.outcome === 'promoted' || result.outcome === 'waiting' ? 0 : 1;
}

/** `rollback` succeeding is the goal of that command, so it exits 0. */
export function exitCodeForRollback(result: OperationResult): number {
  return result.outcome === 'rolled_back' || result.outcome === 'promoted' ? 0 : 1;
}

export function printOutcome(result: OperationResult, json: boolean): void {
  if (json) return printJson(result);
  const live = result.live.color ? `${result.live.color} (${result.live.version})` : 'nothing';
  const color = result.outcome === 'promoted' || result.outcome === 'waiting' ? pc.green : result.outcome === 'rolled_back' ? pc.yellow : pc.red;
  process.stderr.write(`${color(pc.bold(result.outcome))}: ${result.message}\n  live: ${live}\n${result.next ? `  next: ${result.next}\n` : ''}`);
}
