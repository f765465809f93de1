import type { MigrationsHook } from '../core/deps.ts';
import { isCutoverError } from '../core/errors.ts';
import { formatDuration } from '../config/duration.ts';
import type { MigrationRunner } from './runner.ts';

/**
 * Adapts a runner to the core's deploy and rollback phases: lint and expand report failures
 * as data (a failed step), the rollback gate as a message. Errors that are not
 * CutoverErrors are bugs and propagate.
 */
export function createMigrationsHook(runner: MigrationRunner): MigrationsHook {
  return {
    async lint() {
      try {
        const report = await runner.lintPending('expand');
        const errors = report.findings.filter((f) => f.severity === 'error');
        const warnings = report.findings.length - errors.length;
        const first = errors[0] ? `; first: ${errors[0].file}:${errors[0].line} [${errors[0].rule}] ${errors[0].message}` : '';
        return {
          ok: errors.length === 0,
          summary: `${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${report.files.length} pending expand migration${report.files.length === 1 ? '' : 's'}${first}`,
          data: report,
        };
      } catch (err) {
        if (!isCutoverError(err)) throw err;
        return { ok: false, summary: err.message, data: err.details };
      }
    },
    async expand(release, signal) {
      try {
        const result = await runner.expand({ release, signal });
        const total = result.applied.reduce((ms, a) => ms + a.durationMs, 0);
        return {
          ok: true,
          summary: result.applied.length === 0
            ? `expand migrations up to date (${result.alreadyApplied} applied)`
            : `applied ${result.applied.map((a) => a.name).join(', ')} in ${formatDuration(total)}`,
          data: result,
        };
      } catch (err) {
        if (!isCutoverError(err)) throw err;
        return { ok: false, summary: err.message, data: err.details };
      }
    },
    async rollbackBlocker(targetVersion, releaseOrder) {
      return (await runner.rollbackBlocker({ targetVersion, releaseOrder }))?.message ?? null;
    },
  };
}
