// The engine's waits run on the Clock it is given (CoreDeps.clock), so a test's virtual time,
// and nothing else, moves an operation that is waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploy } from '../operations/deploy.ts';
import { gate } from '../phases/gate.ts';
import { OperationContext } from './operation-context.ts';
import { memoryPlatform } from '../../../test/support/memory-platform.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a deploy waiting at a manual gate notices `promote` on the injected clock, not on real time', { timeout: 30_000 }, async () => {
  const clock = new VirtualClock();
  const { driver, store, deps: auto } = memoryPlatform({ clock });
  await clock.run(deploy(auto, 'v1', {}));
  const manual = { ...auto, settings: { ...auto.settings, gate: 'manual' as const } };

  const running = deploy(manual, 'v2', {});
  running.catch(() => {});
  // Virtual time runs only until the deploy waits at the gate.
  await clock.run((async () => {
    for (let i = 0; i < 10_000 && store.state?.operation?.phase !== 'gate'; i++) await clock.sleep(10);
  })());
  assert.equal(store.state?.operation?.phase, 'gate');
  await store.sendSignal(store.state!.operation!.id, 'promote');

  // Four of the engine's poll intervals (250 ms) of real time, and none on the clock.
  await realSleep(1_000);
  assert.equal(store.state?.operation?.phase, 'gate', 'still at the gate: no time has passed on the clock');
  assert.deepEqual(driver.switches, ['blue']);

  const r = await clock.run(running);
  assert.equal(r.outcome, 'promoted');
  assert.deepEqual(driver.switches, ['blue', 'green']);
});

async function openedAt(clock: VirtualClock, gateMode: 'auto' | 'manual' = 'auto') {
  const { store, deps } = memoryPlatform({ clock });
  const ctx = await OperationContext.open({ ...deps, settings: { ...deps.settings, gate: gateMode } }, 'test');
  await ctx.begin('deploy', 'v9', 'green', {});
  return { ctx, store };
}

test('an operation sees `cutover abort` when its signal poll comes round on the injected clock', { timeout: 30_000 }, async () => {
  const clock = new VirtualClock();
  const { ctx, store } = await openedAt(clock);
  try {
    await clock.run(clock.sleep(1));
    await store.sendSignal(ctx.op.id, 'abort');
    await realSleep(1_000);
    assert.equal(ctx.abort.signal.aborted, false, 'four real poll intervals, none on the clock: not seen yet');
    await clock.run(clock.sleep(300));
    assert.equal(ctx.abort.signal.aborted, true, 'one poll interval on the clock: seen');
  } finally { await ctx.close(); }
});

test('the gate polls for `promote` on the injected clock', { timeout: 30_000 }, async () => {
  const clock = new VirtualClock();
  const { ctx } = await openedAt(clock, 'manual');
  try {
    for (const phase of ['preflight', 'provision', 'verify'] as const) {
      await ctx.beginPhase(phase, phase);
      await ctx.endPhase('succeeded', phase);
    }
    // The signal as the operation would have read it: only the gate's own wait is under test.
    let promoted = false;
    ctx.hasSignal = (signal) => signal === 'promote' && promoted;
    let released = false;
    const waiting = gate(ctx, 'green', 'v9').then((outcome) => { released = true; return outcome; });
    await clock.run(clock.sleep(1));
    promoted = true;
    await realSleep(1_000);
    assert.equal(released, false, 'four real poll intervals, none on the clock: still waiting');
    const outcome = await clock.run(waiting);
    assert.equal(outcome.status, 'succeeded');
    assert.equal(ctx.op.phases.at(-1)?.detail, 'released by cutover promote');
  } finally { await ctx.close(); }
});
