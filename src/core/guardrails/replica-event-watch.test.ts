import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlatformDriver, ReplicaEventPage } from '../driver.ts';
import { CutoverError } from '../errors.ts';
import { ReplicaEventWatch } from './replica-event-watch.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('after a failed poll the watch retries when the injected clock says so, not on real time', { timeout: 10_000 }, async () => {
  const clock = new VirtualClock();
  let reads = 0;
  const driver = {
    async replicaEvents(_color: string, options: { since: number; signal?: AbortSignal }): Promise<ReplicaEventPage> {
      reads++;
      if (reads === 1) throw new CutoverError('unreachable', 'the daemon did not answer');
      // Later polls wait (a long poll) until the watch stops.
      await clock.sleep(60_000, options.signal);
      return { events: [], cursor: options.since, desired: 2, ready: 2 };
    },
  } as unknown as PlatformDriver;
  const watch = new ReplicaEventWatch(driver, 'green', 0, () => {}, clock).start();
  try {
    await realSleep(600);
    assert.equal(reads, 1, 'no virtual time has passed: the retry (250 ms) has not come round');
    assert.equal(watch.lastError, 'the daemon did not answer');
    await clock.run(clock.sleep(300));
    assert.equal(reads, 2, 'the retry ran once the clock moved past it');
  } finally {
    await watch.stop();
  }
});
