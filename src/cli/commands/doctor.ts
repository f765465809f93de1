import type { Command } from 'commander';
import pc from 'picocolors';
import { isCutoverError } from '../../core/errors.ts';
import type { Diagnosis } from '../../core/driver.ts';
import { openContext } from '../context.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../program.ts';
import { collectStatus } from './status.ts';

/** `cutover doctor`: the runbooks' troubleshooting sections as checks, each with a verdict and a fix. */
export function registerDoctor(program: Command, globals: Globals): void {
  program.command('doctor').description('diagnose the platform, the router, the colors and the lock')
    .action(async () => {
      const g = globals();
      const ctx = await openContext(g, 'doctor');
      const findings: Diagnosis[] = [{ check: 'config', verdict: 'ok', detail: `${ctx.config.configPath} is valid (${ctx.config.platform.kind})` }];
      try {
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
        if (status.platform.reachable && !maintenance && status.live.color !== status.platform.live) {
          findings.push({ check: 'record vs reality', verdict: 'problem', detail: `cutover recorded ${status.live.color ?? 'nothing'} as live, the platform routes to ${status.platform.live ?? 'nothing'}`, fix: '`cutover resume` reconciles an interrupted operation' });
        }
        // A user without rights on the lock still gets the rest of the checks (the platform's rbac finding says why).
        const holder = await ctx.platform.store.lockHolder().catch((err: unknown) => {
          if (!isCutoverError(err)) throw err;
          findings.push({ check: 'lock', verdict: 'warning', detail: `cannot read the lock: ${err.message}` });
          return null;
        });
        if (holder) {
          const gone = await ctx.platform.store.isHolderGone(holder);
          findings.push({ check: 'lock', verdict: gone ? 'warning' : 'ok', detail: `held by ${holder.command} (pid ${holder.pid} on ${holder.host})${gone ? ', which is gone' : ''}`, fix: gone ? 'the next command recovers it; `cutover resume` finishes its operation' : undefined });
        }
        if (status.operation) {
          findings.push({ check: 'operation', verdict: 'warning', detail: `${status.operation.kind} ${status.operation.version ?? ''} at ${status.operation.phase}${status.operation.waiting ? ', waiting at the gate' : ''}`, fix: status.operation.waiting ? '`cutover promote` or `cutover abort`' : '`cutover resume` or `cutover abort` if its process is gone' });
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
