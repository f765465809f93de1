import type { Command } from 'commander';
import pc from 'picocolors';
import { isCutoverError } from '../../core/errors.ts';
import type { Diagnosis } from '../../core/driver.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';
import { rebuildRecord } from '../../core/operations/rebuild-record.ts';
import { collectStatus } from './status.ts';

/** `cutover doctor`: the runbooks' troubleshooting sections as checks, each with a verdict and a fix. */
export function registerDoctor(program: Command, globals: Globals): void {
  program.command('doctor').description('diagnose the platform, the router, the colors and the lock')
    .option('--fix', 'repair what is safe to repair: remove a damaged or abandoned lock, rebuild a lost record from the platform')
    .action(async (options: { fix?: boolean }) => {
      const g = globals();
      const ctx = await openContext(g, 'doctor');
      const findings: Diagnosis[] = [{ check: 'config', verdict: 'ok', detail: `${ctx.config.configPath} is valid (${ctx.config.platform.kind})` }];
      try {
        if (options.fix && ctx.platform.store.setAsideDamagedState) {
          const movedTo = await ctx.platform.store.setAsideDamagedState();
          if (movedTo) findings.push({ check: 'state record', verdict: 'ok', detail: `fixed: the damaged record was moved to ${movedTo}; it is rebuilt from the platform below` });
        }
        const template = await ctx.platform.driver.checkConfig?.().then(
          (detail) => ({ check: 'template', verdict: 'ok' as const, detail }),
          (err: unknown) => {
            if (!isCutoverError(err)) throw err;
            return { check: 'template', verdict: 'problem' as const, detail: err.message, fix: 'fix the file named; `cutover deploy` refuses it with exit 2' };
          });
        if (template) findings.push(template);
        const status = await collectStatus(ctx);
        findings.push(status.platform.reachable
          ? { check: 'platform', verdict: 'ok', detail: `${ctx.config.platform.kind} platform answers; routes live traffic to ${status.platform.live ?? 'nothing'}` }
          : { check: 'platform', verdict: 'problem', detail: status.platform.error ?? 'unreachable', fix: ctx.config.platform.kind === 'local' ? 'run `cutover up`' : 'check KUBECONFIG / context and that the API server is reachable' });
        // Maintenance is planned: the live color is parked behind the maintenance page on purpose.
        const maintenance = status.maintenance.on;
        if (maintenance) {
          findings.push({ check: 'maintenance', verdict: 'ok', detail: `maintenance is on (planned)${status.maintenance.message ? `: "${status.maintenance.message}"` : ''}; live traffic gets the maintenance page`, fix: '`cutover maintenance off` restores live traffic' });
        }
        if (status.live.color && status.platform.reachable && !maintenance) {
          const live = status.colors[status.live.color];
          findings.push(live.healthy
            ? { check: 'live color', verdict: 'ok', detail: `${status.live.color} (${status.live.version}) healthy, ${live.ready}/${live.desired} ready` }
            : { check: 'live color', verdict: 'problem', detail: `${status.live.color} (${status.live.version}) is NOT healthy: ${live.ready}/${live.desired} ready${live.detail ? `; ${live.detail}` : ''}`, fix: '`cutover logs` to see why; deploy a fix or `cutover rollback`' });
        }
        const disagreement = status.warnings.find((w) => w.startsWith('record and reality disagree'));
        if (disagreement) {
          if (options.fix) {
            const rebuilt = await rebuildRecord(ctx.deps);
            findings.push({ check: 'record vs reality', verdict: 'ok', detail: `fixed: ${rebuilt.message}` });
          } else {
            findings.push({ check: 'record vs reality', verdict: 'problem', detail: disagreement.replace(/; run .*$/, ''), fix: '`cutover doctor --fix` (or `cutover resume`) rebuilds the record from the platform' });
          }
        }
        // A user without rights on the lock still gets the rest of the checks (the platform's rbac finding says why).
        const holder = await ctx.platform.store.lockHolder().catch((err: unknown) => {
          if (!isCutoverError(err)) throw err;
          findings.push({ check: 'lock', verdict: 'warning', detail: `cannot read the lock: ${err.message}` });
          return null;
        });
        if (holder) {
          const gone = await ctx.platform.store.isHolderGone(holder);
          const what = holder.damaged ?? `held by ${holder.command} (pid ${holder.pid} on ${holder.host})${gone ? ', which is gone' : ''}`;
          if (gone && options.fix && ctx.platform.store.recoverLock) {
            await ctx.platform.store.recoverLock();
            findings.push({ check: 'lock', verdict: 'ok', detail: `fixed: removed the lock (${what})` });
          } else {
            findings.push({ check: 'lock', verdict: holder.damaged ? 'problem' : gone ? 'warning' : 'ok', detail: what, fix: gone ? 'the next operation recovers it, or `cutover doctor --fix` now' : undefined });
          }
        } else {
          findings.push({ check: 'lock', verdict: 'ok', detail: 'free' });
        }
        if (status.operation) {
          const op = status.operation;
          findings.push({
            check: 'operation',
            verdict: op.holderGone && !op.waiting ? 'problem' : 'warning',
            detail: `${op.kind} ${op.version ?? ''} at ${op.phase}${op.waiting ? ', waiting at the gate' : op.holderGone ? `, interrupted: ${op.holder} is gone` : `, run by ${op.holder}`}`,
            fix: op.waiting ? '`cutover promote` or `cutover abort`' : op.holderGone ? '`cutover resume` to finish it, or `cutover abort` to undo it' : undefined,
          });
        }
        if (ctx.platform.driver.diagnose) findings.push(...await ctx.platform.driver.diagnose());
      } catch (err) {
        if (!isCutoverError(err)) throw err;
        findings.push({ check: 'doctor', verdict: 'problem', detail: err.message });
      } finally {
        await ctx.close();
      }
      if (g.json) printJson({ findings });
      else for (const f of findings) {
        const mark = f.verdict === 'ok' ? pc.green('ok     ') : f.verdict === 'warning' ? pc.yellow('warning') : pc.red('PROBLEM');
        process.stdout.write(`${mark} ${f.check.padEnd(18)} ${f.detail}${f.fix ? pc.dim(`\n        ${''.padEnd(18)} fix: ${f.fix}`) : ''}\n`);
      }
      return findings.some((f) => f.verdict === 'problem') ? 1 : 0;
    });
}
