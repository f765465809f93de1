import { embeddedSql } from '../plpgsql-body.ts';
import type { Rule } from '../rule.ts';

/**
 * The static SQL inside DO blocks and PL/pgSQL functions is linted by every other rule (see
 * plpgsql-body.ts). This rule reports only what cannot be known before the code runs.
 */
export const doBlock: Rule = {
  id: 'do-block',
  impact: 'advisory',
  summary: 'procedural code cutover cannot analyse: EXECUTE of a string built at run time, a DO block in another language',
  check(stmt) {
    return (embeddedSql(stmt)?.unknowns ?? []).map((unknown) => ({
      byte: unknown.byte,
      message: unknown.message,
      hint: 'Prefer static SQL, which cutover checks. If the code is safe, say why with "-- cutover:ignore do-block <reason>" on the line before the block.',
    }));
  },
};
