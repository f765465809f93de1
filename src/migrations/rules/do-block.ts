import type { Rule } from '../rule.ts';

export const doBlock: Rule = {
  id: 'do-block',
  impact: 'advisory',
  summary: 'DO blocks: procedural code cutover cannot analyse',
  check(stmt) {
    if (stmt.kind !== 'DoStmt') return [];
    return [{
      byte: stmt.startByte,
      message: 'DO block: cutover cannot see the statements inside procedural code, so none of them were checked for locks or breaking changes',
      hint: 'Prefer plain SQL statements. If the block is safe, say why with "-- cutover:ignore do-block <reason>" on the line before it.',
    }];
  },
};
