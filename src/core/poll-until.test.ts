import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil } from './poll-until.ts';
import { VirtualClock } from '../../test/support/virtual-clock.ts';

test('pollUntil asks at once, then once per interval of the injected clock, until an answer', async () => {
  const clock = new VirtualClock();
  const asked: number[] = [];
  const start = clock.now();
  const answer = await clock.run(pollUntil(() => {
    asked.push(clock.now() - start);
    return asked.length === 4 ? 'up' : undefined;
  }, { intervalMs: 100, timeoutMs: 15_000, clock }));
  assert.equal(answer, 'up');
  assert.deepEqual(asked, [0, 100, 200, 300]);
});

test('pollUntil gives up when the timeout has passed on the clock, in no real time', { timeout: 5_000 }, async () => {
  const clock = new VirtualClock();
  let asks = 0;
  const started = performance.now();
  const answer = await clock.run(pollUntil(() => { asks++; return undefined; }, { intervalMs: 100, timeoutMs: 60_000, clock }));
  assert.equal(answer, undefined);
  assert.equal(asks, 601, 'at 0, 100, ..., 60 000 ms');
  assert.ok(performance.now() - started < 3_000);
});

test('an abort ends the wait at once', async () => {
  const clock = new VirtualClock();
  const stop = new AbortController();
  const waiting = pollUntil(() => undefined, { intervalMs: 1_000, timeoutMs: Infinity, clock, signal: stop.signal });
  stop.abort();
  assert.equal(await clock.run(waiting), undefined);
});
