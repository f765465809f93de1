// The engine against a platform and a store in memory: each outcome (promoted, failed, aborted,
// rolled_back, stranded, waiting) comes from what the phases did, and the moves the transition
// tables forbid are refused where the engine could meet them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreDeps } from '../deps.ts';
import { CutoverError } from '../errors.ts';
import { abortOperation } from '../operations/abort.ts';
import { deploy } from '../operations/deploy.ts';
import { resume } from '../operations/resume.ts';
import { rollbackCommand } from '../operations/rollback-operation.ts';
import { OperationContext } from './operation-context.ts';
import { memoryPlatform as platform } from '../../../test/support/memory-platform.ts';
import { passingVerifier } from '../../../test/support/pod-event-driver.ts';

const names = (r: { phases: Array<{ name: string }> }) => r.phases.map((p) => p.name);

describe('the engine', { concurrency: 1 }, () => {
  test('a first release goes live without a bake window; the next switches, bakes and retires the first', async () => {
    const { driver, store, deps } = platform();
    const first = await deploy(deps, 'v1', {});
    assert.equal(first.outcome, 'promoted');
    assert.equal(first.phases.find((p) => p.name === 'monitor')?.status, 'skipped');
    const second = await deploy(deps, 'v2', {});
    assert.equal(second.outcome, 'promoted');
    assert.deepEqual(second.live, { color: 'green', version: 'v2' });
    assert.deepEqual(names(second), ['preflight', 'provision', 'verify', 'gate', 'switch', 'monitor', 'retire']);
    assert.deepEqual(driver.switches, ['blue', 'green']);
    assert.equal(store.state?.colors.blue.state, 'retired');
    assert.equal(store.state?.operation, null);
  });

  test('a "no" at the prompt is a declined stop: aborted, the new color stopped, live traffic never moved', async () => {
    const { driver, store, deps } = platform({ gate: { interactive: true, confirm: async () => false } });
    await deploy({ ...deps, gate: { interactive: false, confirm: async () => true } }, 'v1', {});
    const r = await deploy(deps, 'v2', {});
    assert.equal(r.outcome, 'aborted');
    assert.match(r.message, /switch declined at the prompt/);
    assert.deepEqual(driver.switches, ['blue']);
    assert.equal(store.state?.colors.green.state, 'failed');
    assert.equal(driver.colors.green.desired, 0);
  });

  test('a failed check before the switch is failed (not aborted) and leaves the live color serving', async () => {
    const { driver, store, deps } = platform();
    await deploy(deps, 'v1', {});
    const failing = { ...passingVerifier, health: async () => ({ ok: false, summary: '1/2 replicas answered 500' }) };
    const r = await deploy({ ...deps, verifier: failing }, 'v2', {});
    assert.equal(r.outcome, 'failed');
    assert.match(r.message, /v2 was not promoted: .*1\/2 replicas answered 500; blue \(v1\) still serves traffic/);
    assert.deepEqual(driver.switches, ['blue']);
    assert.equal(store.state?.colors.green.state, 'failed');
  });

  test('a switch that cannot be proven rolls back to the old color', async () => {
    const { driver, store, deps } = platform();
    await deploy(deps, 'v1', {});
    driver.verifyTraffic = async (...args: unknown[]) => ({ ok: args[0] !== 'green', detail: args[0] === 'green' ? 'blue still answers' : 'only blue answers', durationMs: 1 });
    const r = await deploy(deps, 'v2', {});
    assert.equal(r.outcome, 'rolled_back');
    assert.deepEqual(r.live, { color: 'blue', version: 'v1' });
    assert.deepEqual(names(r).slice(-2), ['switch', 'rollback']);
    assert.deepEqual(driver.switches, ['blue', 'green', 'blue']);
    assert.equal(store.state?.colors.green.state, 'failed');
  });

  test('cutover rollback puts the previous release back and retires (not fails) the one it leaves', async () => {
    const { store, deps } = platform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', {});
    const r = await rollbackCommand(deps, {});
    assert.equal(r.outcome, 'rolled_back');
    assert.deepEqual(r.live, { color: 'blue', version: 'v1' });
    assert.equal(store.state?.colors.green.state, 'retired');
  });

  test('a rollback to a color that never becomes ready is stranded, says what to run next and leaves traffic where it is', async () => {
    const { driver, deps } = platform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', {});
    driver.waitReady = async () => { throw new Error('0/2 ready after 1s'); };
    const r = await rollbackCommand(deps, {});
    assert.equal(r.outcome, 'stranded');
    assert.match(r.next ?? '', /cutover rollback/);
    assert.equal(driver.live, 'green');
  });

  test('--no-switch waits at the gate; abort of the waiting deploy (its process gone) drops it as aborted', async () => {
    const { driver, store, deps } = platform();
    await deploy(deps, 'v1', {});
    const waiting = await deploy(deps, 'v2', { noSwitch: true });
    assert.equal(waiting.outcome, 'waiting');
    assert.equal(store.state?.operation?.phase, 'gate');
    const r = await abortOperation(deps);
    assert.equal(r.outcome, 'aborted');
    assert.deepEqual(driver.switches, ['blue']);
    assert.equal(store.state?.colors.green.state, 'failed');
    assert.equal(store.state?.operation, null);
  });

  test('resume of a deploy that died during the switch, with traffic already on the new color, finishes it from the switch', async () => {
    const { driver, store, deps } = platform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', { noSwitch: true });
    // The process moved traffic and died before recording it.
    const op = store.state!.operation!;
    op.phase = 'switch';
    op.phases.push({ name: 'switch', status: 'running', startedAt: new Date().toISOString(), durationMs: 0, detail: 'switching' });
    await driver.switchTraffic('green');
    const r = await resume(deps);
    assert.equal(r?.outcome, 'promoted');
    assert.deepEqual(r?.live, { color: 'green', version: 'v2' });
    assert.equal(store.state?.colors.blue.state, 'retired');
  });

  test('a new deploy is refused while another operation is unfinished (exit 3, naming how to go on)', async () => {
    const { deps } = platform();
    await deploy(deps, 'v1', {});
    await deploy(deps, 'v2', { noSwitch: true });
    await assert.rejects(deploy(deps, 'v3', {}), (err: unknown) => err instanceof CutoverError && err.code === 'locked' && /cutover promote/.test(err.message));
  });

  describe('moves the transition tables forbid, where the engine could meet them', () => {
    async function opened(deps: CoreDeps) {
      const ctx = await OperationContext.open(deps, 'test');
      await ctx.begin('deploy', 'v9', 'green', {});
      return ctx;
    }

    test('a phase that skips the gate (preflight straight to switch) is refused', async () => {
      const { deps } = platform();
      const ctx = await opened(deps);
      try {
        await ctx.beginPhase('preflight', 'x');
        await ctx.endPhase('succeeded', 'x');
        await assert.rejects(ctx.beginPhase('switch', 'x'), CutoverError);
      } finally { await ctx.close(); }
    });

    test('an operation whose traffic may have moved cannot end without rollback or retire', async () => {
      const { deps } = platform();
      const ctx = await opened(deps);
      try {
        for (const phase of ['preflight', 'provision', 'verify', 'gate', 'switch'] as const) {
          await ctx.beginPhase(phase, phase);
          await ctx.endPhase('succeeded', phase);
        }
        await assert.rejects(ctx.finish('promoted', 'x'), CutoverError);
      } finally { await ctx.close(); }
    });

    test('a color that was never verified cannot be made live', async () => {
      const { deps } = platform();
      const ctx = await opened(deps);
      try {
        ctx.setColor('green', 'provisioning', 'v9');
        assert.throws(() => ctx.setColor('green', 'live'), CutoverError);
        ctx.setColor('green', 'ready');
        assert.throws(() => ctx.setColor('green', 'live'), CutoverError);
      } finally { await ctx.close(); }
    });
  });
});
