import * as z from 'zod';
import { CutoverError } from '../core/errors.ts';
import type { CoreDeps } from '../core/deps.ts';
import { abortOperation } from '../core/operations/abort.ts';
import { finalize } from '../core/operations/finalize.ts';
import { changeFlags } from '../core/operations/flags.ts';
import { setMaintenance } from '../core/operations/maintenance.ts';
import { promote } from '../core/operations/promote.ts';
import { rollbackCommand } from '../core/operations/rollback-operation.ts';
import { formatIssues } from '../config/format-issues.ts';

const flagKey = z.string().min(1).max(200);

/** The body of `POST /api/apps/:app/actions`: one action, validated at this edge. */
export const dashboardActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('promote') }).strict(),
  z.object({ action: z.literal('abort') }).strict(),
  z.object({ action: z.literal('rollback'), force: z.boolean().optional() }).strict(),
  z.object({ action: z.literal('finalize') }).strict(),
  z.object({ action: z.literal('maintenance'), on: z.boolean(), message: z.string().max(2_000).optional() }).strict(),
  z.object({
    action: z.literal('flags'),
    color: z.enum(['blue', 'green']),
    set: z.record(flagKey, z.unknown()).optional(),
    unset: z.array(flagKey).optional(),
  }).strict(),
]);

export type DashboardAction = z.infer<typeof dashboardActionSchema>;

/** Parses an action body. @throws CutoverError('usage') naming the field. */
export function parseAction(body: unknown): DashboardAction {
  const parsed = dashboardActionSchema.safeParse(body);
  if (!parsed.success) throw new CutoverError('usage', `bad action: ${formatIssues(parsed.error.issues, body).join("; ")}`);
  return parsed.data;
}

/**
 * Runs one action through the same core operation as its CLI verb, so it takes the same lock
 * and meets the same refusals (exit 3 / `locked` while another operation runs, `refused` when
 * there is nothing to promote, and so on). Returns the operation's own result.
 */
export async function runAction(deps: CoreDeps, action: DashboardAction): Promise<unknown> {
  switch (action.action) {
    case 'promote': return promote(deps);
    case 'abort': return abortOperation(deps);
    case 'rollback': return rollbackCommand(deps, { force: action.force, yes: true });
    case 'finalize': return finalize(deps);
    case 'maintenance': return setMaintenance(deps, action.on, action.message || undefined);
    case 'flags': {
      const { set = {}, unset = [] } = action;
      return changeFlags(deps, action.color, (current) => {
        const next: Record<string, unknown> = { ...current, ...set };
        for (const key of unset) delete next[key];
        return next;
      });
    }
  }
}
