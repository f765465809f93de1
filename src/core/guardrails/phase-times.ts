import type { Operation, PhaseName } from '../types.ts';

/** Start and end (epoch ms) of the last record of phase `name` in `op`, or null when it never ran. */
export function phaseTimes(op: Operation, name: PhaseName): { start: number; end: number } | null {
  const record = op.phases.filter((p) => p.name === name).at(-1);
  if (!record) return null;
  const start = Date.parse(record.startedAt);
  return { start, end: start + record.durationMs };
}
