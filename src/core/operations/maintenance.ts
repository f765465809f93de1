import type { CoreDeps } from '../deps.ts';
import { OperationContext } from '../engine/operation-context.ts';
import type { MaintenanceState } from '../types.ts';

/** `cutover maintenance on|off`: under the lock, so it never interleaves with a switch. */
export async function setMaintenance(deps: CoreDeps, on: boolean, message: string | undefined): Promise<MaintenanceState> {
  const ctx = await OperationContext.open(deps, `maintenance ${on ? 'on' : 'off'}`);
  try {
    await deps.driver.maintenance(on, message);
    ctx.state.maintenance = on ? { on, message, since: new Date().toISOString() } : { on: false };
    await ctx.save();
    await ctx.history({ event: 'finished', kind: 'maintenance', message: on ? `maintenance on: ${message ?? ''}` : 'maintenance off' });
    return ctx.state.maintenance;
  } finally {
    await ctx.close();
  }
}
