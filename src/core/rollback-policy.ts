/** What to do when a check fails while the new color serves part (or all) of live traffic. */
export type FailureAction = 'drop' | 'rollback' | 'hold';

export interface FailureContext {
  /** Share of live traffic on the new color when the check failed, 0..100. */
  trafficPercent: number;
  /** Whether the failed check was marked critical (health failures always are). */
  critical: boolean;
}

export interface FailureDecision {
  action: FailureAction;
  /** One line for people, naming the share and the rule that applied. */
  reason: string;
}

/**
 * The runbook's decision tree, as the default policy:
 * - under 10% of traffic: drop the new color (traffic back to 0%, retire it);
 * - 10% to 50%: roll back immediately;
 * - over 50%: roll back on a critical failure, otherwise hold at the current split and alert,
 *   leaving the call to a person (`cutover promote` or `cutover rollback`).
 * Pure: no I/O, same answer for the same input.
 */
export function decideOnFailure(context: FailureContext): FailureDecision {
  const percent = context.trafficPercent;
  const share = `${formatPercent(percent)} of traffic`;
  if (percent < 10) return { action: 'drop', reason: `${share} is under 10%: drop the new color` };
  if (percent <= 50) return { action: 'rollback', reason: `${share} is between 10% and 50%: roll back immediately` };
  if (context.critical) return { action: 'rollback', reason: `${share} is over 50% and the failure is critical: roll back` };
  return { action: 'hold', reason: `${share} is over 50% and the failure is not critical: hold and alert` };
}

function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}
