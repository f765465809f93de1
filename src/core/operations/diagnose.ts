import { isCutoverError } from '../errors.ts';
import type { CoreDeps } from '../deps.ts';
import type { Diagnosis } from '../driver.ts';
import { rebuildRecord } from './rebuild-record.ts';
import { readStatus } from './status-report.ts';

export interface DiagnoseOptions {
  /** Repair what is safe to repair: a damaged record set aside, an abandoned lock removed, a lost record rebuilt. */
  readonly fix?: boolean;
  /** Named in the config finding. */
  readonly configPath: string;
  readonly platformKind: 'local' | 'kubernetes';
}

/**
 * `cutover doctor`: the runbooks' troubleshooting sections as checks, each with a verdict and
 * a fix. A check that cannot be made is a finding, never an exception.
 */
export async function diagnose(deps: CoreDeps, options: DiagnoseOptions): Promise<Diagnosis[]> {
  const { driver, store } = deps;
  const findings: Diagnosis[] = [{ check: 'config', verdict: 'ok', detail: `${options.configPath} is valid (${options.platformKind})` }];
  try {
    if (options.fix && store.setAsideDamagedState) {
      const movedTo = await store.setAsideDamagedState();
      if (movedTo) findings.push({ check: 'state record', verdict: 'ok', detail: `fixed: the damaged record was moved to ${movedTo}; it is rebuilt from the platform below` });
    }
    const template = await driver.checkConfig?.().then(
      (detail) => ({ check: 'template', verdict: 'ok' as const, detail }),
      (err: unknown) => {
        if (!isCutoverError(err)) throw err;
        return { check: 'template', verdict: 'problem' as const, detail: err.message, fix: 'fix the file named; `cutover deploy` refuses it with exit 2' };
      });
    if (template) findings.push(template);
    const { report: status, disagreement } = await readStatus(deps);
    findings.push(status.platform.reachable
      ? { check: 'platform', verdict: 'ok', detail: `${options.platformKind} platform answers; routes live traffic to ${status.platform.live ?? 'nothing'}` }
      : { check: 'platform', verdict: 'problem', detail: status.platform.error ?? 'unreachable', fix: options.platformKind === 'local' ? 'run `cutover up`' : 'check KUBECONFIG / context and that the API server is reachable' });
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
    if (disagreement) {
      if (options.fix) {
        const rebuilt = await rebuildRecord(deps);
        findings.push({ check: 'record vs reality', verdict: 'ok', detail: `fixed: ${rebuilt.message}` });
      } else {
        findings.push({ check: 'record vs reality', verdict: 'problem', detail: `record and reality disagree: ${disagreement}`, fix: '`cutover doctor --fix` (or `cutover resume`) rebuilds the record from the platform' });
      }
    }
    findings.push(await lockFinding(deps, options.fix));
    if (status.operation) {
      const op = status.operation;
      findings.push({
        check: 'operation',
        verdict: op.holderGone && !op.waiting ? 'problem' : 'warning',
        detail: `${op.kind} ${op.version ?? ''} at ${op.phase}${op.waiting ? ', waiting at the gate' : op.holderGone ? `, interrupted: ${op.holder} is gone` : `, run by ${op.holder}`}`,
        fix: op.waiting ? '`cutover promote` or `cutover abort`' : op.holderGone ? '`cutover resume` to finish it, or `cutover abort` to undo it' : undefined,
      });
    }
    if (driver.diagnose) findings.push(...await driver.diagnose());
  } catch (err) {
    if (!isCutoverError(err)) throw err;
    findings.push({ check: 'doctor', verdict: 'problem', detail: err.message });
  }
  return findings;
}

/** The operation lock: free, held, or abandoned (removed with `fix`). */
async function lockFinding({ store }: Pick<CoreDeps, 'store'>, fix: boolean | undefined): Promise<Diagnosis> {
  // A user without rights on the lock still gets the rest of the checks (the platform's rbac finding says why).
  let holder;
  try {
    holder = await store.lockHolder();
  } catch (err) {
    if (!isCutoverError(err)) throw err;
    return { check: 'lock', verdict: 'warning', detail: `cannot read the lock: ${err.message}` };
  }
  if (!holder) return { check: 'lock', verdict: 'ok', detail: 'free' };
  const gone = await store.isHolderGone(holder);
  const what = holder.damaged ?? `held by ${holder.command} (pid ${holder.pid} on ${holder.host})${gone ? ', which is gone' : ''}`;
  if (gone && fix && store.recoverLock) {
    await store.recoverLock();
    return { check: 'lock', verdict: 'ok', detail: `fixed: removed the lock (${what})` };
  }
  return { check: 'lock', verdict: holder.damaged ? 'problem' : gone ? 'warning' : 'ok', detail: what, fix: gone ? 'the next operation recovers it, or `cutover doctor --fix` now' : undefined };
}
