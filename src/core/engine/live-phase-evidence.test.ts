import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { systemClock, type CoreDeps } from '../deps.ts';
import type { StateStore } from '../store.ts';
import type { AppState, PhaseRecord } from '../types.ts';
import { LivePhaseEvidence } from './live-phase-evidence.ts';
import { OperationContext } from './operation-context.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function running(data?: unknown): PhaseRecord {
  return { name: 'monitor', status: 'running', startedAt: new Date().toISOString(), durationMs: 0, detail: 'watching', ...(data === undefined ? {} : { data }) };
}

test('the first change is saved at once; a burst within the interval becomes one more save with the latest value', async () => {
  const saved: unknown[] = [];
  const record = running();
  const live = new LivePhaseEvidence(async () => { saved.push(structuredClone(record.data)); }, systemClock, 300);
  live.set(record, 'analysis', { n: 0 });
  assert.equal(saved.length, 1, 'the first measurement is shown at once');
  for (let n = 1; n <= 20; n++) live.set(record, 'analysis', { n });
  assert.equal(saved.length, 1, 'no more than one save per interval');
  await sleep(450);
  assert.deepEqual(saved, [{ analysis: { n: 0 } }, { analysis: { n: 20 } }]);
  live.cancel();
});

test('settle removes what was shown live, keeps other evidence and drops the pending save', async () => {
  let saves = 0;
  const record = running({ hooks: ['pre'] });
  const live = new LivePhaseEvidence(async () => { saves++; }, systemClock, 200);
  live.set(record, 'analysis', { n: 0 });
  live.set(record, 'analysis', { n: 1 });
  live.settle(record);
  assert.deepEqual(record.data, { hooks: ['pre'] });
  await sleep(300);
  assert.equal(saves, 1, 'the pending save was dropped: the phase end saves the record itself');

  const bare = running();
  live.set(bare, 'analysis', { n: 0 });
  live.settle(bare);
  assert.equal(bare.data, undefined);
});

test('a slow live save never lands after the phase end saved by the operation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-live-evidence-'));
  try {
    const files = new FileStateStore(dir);
    let slowNext = false;
    // Like a ConfigMap PUT: the record is taken when the save starts; the live one is slow.
    const store: StateStore = Object.assign(Object.create(files) as StateStore, {
      async save(state: AppState) {
        const snapshot = structuredClone(state);
        const slow = slowNext;
        slowNext = false;
        await sleep(slow ? 400 : 0);
        await files.save(snapshot);
      },
    });
    const reporter = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };
    const deps = { store, reporter, settings: { app: 'shop' }, holder: { pid: process.pid, host: hostname(), command: 'test' } } as unknown as CoreDeps;
    const ctx = await OperationContext.open(deps, 'test');
    try {
      await ctx.begin('deploy', 'v1', 'blue', {});
      await ctx.beginPhase('preflight', 'checking');
      slowNext = true;
      ctx.liveEvidence('analysis')({ verdict: 'running', measurements: [1] });
      await ctx.endPhase('succeeded', 'checked', { analysis: { verdict: 'successful' } });
      await sleep(500);
    } finally {
      await ctx.close();
    }
    const saved = await files.load();
    assert.equal(saved?.operation?.phases[0]?.status, 'succeeded', 'the phase end is the last word in the store');
    assert.deepEqual(saved?.operation?.phases[0]?.data, { analysis: { verdict: 'successful' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the coalesced save waits on the injected clock, not on real time', async () => {
  const clock = new VirtualClock();
  const saved: unknown[] = [];
  const record = running();
  // Ten minutes of virtual time: only a save scheduled on the clock can land within the test's timeout.
  const live = new LivePhaseEvidence(async () => { saved.push(structuredClone(record.data)); }, clock, 600_000);
  live.set(record, 'analysis', { n: 0 });
  live.set(record, 'analysis', { n: 1 });
  const start = clock.now();
  // Eleven virtual minutes go by, a second at a time.
  await clock.run((async () => { for (let s = 0; s < 660 && saved.length < 2; s++) await clock.sleep(1_000); })());
  assert.deepEqual(saved, [{ analysis: { n: 0 } }, { analysis: { n: 1 } }]);
  assert.ok(clock.now() - start >= 600_000, 'saved once the interval had passed on the clock');
  live.cancel();
});
