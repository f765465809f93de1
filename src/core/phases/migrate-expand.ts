import type { OperationContext } from '../engine/operation-context.ts';
import { PhaseFailure } from '../engine/phase-outcome.ts';

/** Applies expand migrations: additive changes the live version keeps working with. */
export async function migrateExpand(ctx: OperationContext, version: string): Promise<void> {
  const migrations = ctx.deps.migrations;
  if (!migrations) return;
  await ctx.beginPhase('migrate-expand', 'applying expand migrations');
  const report = await migrations.expand(version, ctx.abort.signal).catch((err: Error) => ({ ok: false, summary: err.message, data: undefined }));
  if (!report.ok) throw new PhaseFailure(`expand migrations failed: ${report.summary}`, report.data);
  await ctx.endPhase('succeeded', report.summary, report.data);
}
