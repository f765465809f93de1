import type { CoreDeps } from '../deps.ts';
import type { OperationResult } from '../engine/operation-result.ts';
import { continueOperation } from '../engine/run-phases.ts';

/**
 * `cutover resume`: finishes, or rolls back, an operation whose process died (`intent` abort:
 * undoes it instead). Returns null when there is nothing to resume.
 */
export function resume(deps: CoreDeps, intent: 'finish' | 'abort' = 'finish'): Promise<OperationResult | null> {
  return continueOperation(deps, intent);
}
