import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_BUCKETS_SECONDS } from '../../router/router-metrics.ts';
import type { LiveTraffic, TrafficSource } from '../deps.ts';
import { DEFAULT_GUARDRAILS } from './config-schema.ts';
import { judgeTraffic, type TrafficBaseline } from './traffic-signals.ts';
import { TrafficSeries } from './traffic-series.ts';

/** A router's cumulative counters for one color, advanced by the test as requests complete. */
class Counters implements TrafficSource {
  private requests = 0;
  private readonly buckets = [...LATENCY_BUCKETS_SECONDS, Infinity].map((le) => ({ le, count: 0 }));
  inFlight = 0;
  oldestInFlightMs = 0;

  complete(count: number, latencyMs: number): void {
    this.requests += count;
    for (const b of this.buckets) if (latencyMs / 1000 <= b.le) b.count += count;
  }

  async read(): Promise<LiveTraffic> {
    return { requests: this.requests, errors5xx: 0, upstreamErrors: 0, latency: this.buckets.map((b) => ({ ...b })), inFlight: this.inFlight, oldestInFlightMs: this.oldestInFlightMs };
  }
}

/**
 * blue before the switch: 30 one-second readings, each completing `mix` ([count, latency ms]
 * pairs), with `inFlight(s)` giving the requests in flight at reading s and the oldest one's age.
 */
async function baselineOf(mix: ReadonlyArray<readonly [number, number]>, inFlight: (s: number) => readonly [number, number] = () => [0, 0]): Promise<TrafficBaseline> {
  const blue = new Counters();
  const series = new TrafficSeries(blue, 'blue', 5, 1_000);
  await series.sample(0);
  for (let s = 1; s <= 30; s++) {
    for (const [count, latencyMs] of mix) blue.complete(count, latencyMs);
    [blue.inFlight, blue.oldestInFlightMs] = inFlight(s);
    await series.sample(s * 1_000);
  }
  return { color: 'blue', totals: series.totals() };
}

/** 100 requests a second at 2-5 ms (p99 5 ms). */
const QUIET: ReadonlyArray<readonly [number, number]> = [[60, 2], [39, 4], [1, 5]];

/** blue on a quiet machine. */
const blueBaseline = () => baselineOf(QUIET);

/**
 * blue on a quiet machine with a rare slow path of `slowPathMs`, which the readings caught in
 * flight at 700 ms at most.
 */
const blueWithSlowPath = (slowPathMs: number) => baselineOf([...QUIET, [1, slowPathMs]], (s) => [4, s % 4 === 3 ? 700 : 200]);

/**
 * blue on an overloaded machine: median about 17 ms but p99 450 ms (a starved core delays a few
 * requests by hundreds of ms); the longest request the readings caught in flight was 450 ms old.
 */
const loadedBlueBaseline = () => baselineOf([[60, 20], [30, 40], [8, 200], [2, 450]], (s) => [6, s % 5 === 0 ? 450 : 60]);

/** green after the switch, read every 250 ms; `each(i)` completes reading i's requests. */
async function greenAfterSwitch(readings: number, each: (green: Counters, i: number) => void) {
  const green = new Counters();
  const series = new TrafficSeries(green, 'green', 5, 1_000);
  const t0 = 100_000;
  await series.sample(t0);
  for (let i = 1; i <= readings; i++) {
    each(green, i);
    await series.sample(t0 + i * 250);
  }
  const now = t0 + readings * 250;
  return { series, green, now };
}

function judge(baseline: TrafficBaseline, series: TrafficSeries, now: number) {
  return judgeTraffic({
    color: 'green',
    window: series.totals(now - DEFAULT_GUARDRAILS.traffic.windowMs),
    p99Samples: series.readings.filter((r) => r.p99Ms !== null).map((r) => r.p99Ms!),
    latest: series.readings.at(-1) ?? null,
    baseline,
    settings: DEFAULT_GUARDRAILS.traffic,
  });
}

/** Takes one more reading of green with `inFlight` requests in flight, the oldest `oldestMs` old, and judges it. */
async function judgeInFlight(baseline: TrafficBaseline, green: { series: TrafficSeries; green: Counters; now: number }, at: number, inFlight: number, oldestMs: number) {
  green.green.inFlight = inFlight;
  green.green.oldestInFlightMs = oldestMs;
  await green.series.sample(green.now + at);
  return judge(baseline, green.series, green.now + at);
}

describe('latency judged on requests as they complete', () => {
  test('a release that answers every request 400 ms late is caught after one second of traffic, before any p99 reading comparison could', async () => {
    const baseline = await blueBaseline();
    // the first 400 ms nothing completes on green (the slow answers are still under way)
    const { series, now } = await greenAfterSwitch(4, (g, i) => { if (i >= 2) g.complete(20, 400); });
    assert.equal(series.readings.filter((r) => r.p99Ms !== null).length, 1, 'one one-second p99 sample so far: the p99 comparison needs 3');
    const breach = judge(baseline, series, now);
    assert.equal(breach?.signal, 'latency');
    assert.match(breach!.evidence, /^green median \d+ms over 60 requests in the last 1\.0s vs blue p99 \dms before the switch \(slow after 10\dms; Mann-Whitney p=/);
  });

  test('half a second of slow answers is not yet enough (guardrails.traffic.latency.minSpan)', async () => {
    const baseline = await blueBaseline();
    const { series, now } = await greenAfterSwitch(2, (g) => g.complete(20, 400));
    assert.equal(judge(baseline, series, now), null);
  });

  test('a pause of the machine that delays a third of a healthy window does not fire it', async () => {
    const baseline = await blueBaseline();
    // 1.5 s of healthy answers, one reading of which was caught in a 300 ms pause
    const { series, now } = await greenAfterSwitch(6, (g, i) => g.complete(25, i === 3 || i === 4 ? 300 : 3));
    assert.equal(judge(baseline, series, now), null);
  });

  test('a handful of slow requests do not decide it (guardrails.traffic.latency.minRequests)', async () => {
    const baseline = await blueBaseline();
    const { series, now } = await greenAfterSwitch(8, (g, i) => { if (i % 2 === 0) g.complete(2, 400); });
    assert.equal(judge(baseline, series, now), null);
  });

  test('one-second p99 samples are still taken from quarter-second readings', async () => {
    const { series } = await greenAfterSwitch(8, (g) => g.complete(10, 3));
    assert.deepEqual(series.readings.map((r) => r.p99Ms !== null), [false, false, false, true, false, false, false, true]);
  });
});

describe('latency on an overloaded machine (the old p99 inflated by load, its median far less)', () => {
  test('a release that adds 400 ms to every answer is caught on the median, though its answers are faster than blue\'s p99 x 2', async () => {
    const baseline = await loadedBlueBaseline();
    assert.equal(Math.round(baseline.totals.p99Ms!), 450);
    const { series, now } = await greenAfterSwitch(6, (g, i) => { if (i >= 2) g.complete(20, 430); });
    const breach = judge(baseline, series, now);
    assert.equal(breach?.signal, 'latency');
    assert.match(breach!.evidence, /^green median 4\d\dms over 100 requests in the last 1\.5s vs blue median 1\dms \(p99 450ms\) before the switch \(slow after 21\dms; Mann-Whitney p=/);
  });

  test('healthy answers several times slower than blue\'s median in a busy moment, but less than 200 ms above it, do not fire it', async () => {
    const baseline = await loadedBlueBaseline();
    const { series, now } = await greenAfterSwitch(20, (g) => g.complete(25, 150));
    assert.equal(judge(baseline, series, now), null);
  });

  test('a release that never answers is stuck after 1 s, not after 10 x the inflated p99 (4.5 s)', async () => {
    const baseline = await loadedBlueBaseline();
    const breach = await judgeInFlight(baseline, await greenAfterSwitch(4, () => {}), 250, 40, 1_050);
    assert.equal(breach?.signal, 'stuck-requests');
    assert.match(breach!.evidence, /^green has 40 requests in flight, the oldest for 1\.1s \(blue before the switch: median 1\dms, p99 450ms, longest in flight 450ms; stuck after 1\.0s\)$/);
  });
});

describe('stuck requests', () => {
  test('requests in flight past max(1s, 10 x the old median, 2 x the old p99 and longest in flight) fire it from the latest reading', async () => {
    const baseline = await blueBaseline();
    const breach = await judgeInFlight(baseline, await greenAfterSwitch(4, () => {}), 250, 3, 1_050);
    assert.equal(breach?.signal, 'stuck-requests');
    assert.match(breach!.evidence, /^green has 3 requests in flight, the oldest for 1\.1s \(blue before the switch: median \dms, p99 \dms, longest in flight 0ms; stuck after 1\.0s\)$/);
  });

  test('an app with a rare slow path the old color also had in flight is not stuck at 1 s (twice the longest request blue had in flight)', async () => {
    // blue served a 950 ms path now and then; the readings caught it in flight at 700 ms at most
    const baseline = await blueWithSlowPath(950);
    const green = await greenAfterSwitch(4, (g) => g.complete(25, 3));
    // the same path on green, a little slower on a busy machine
    assert.equal(await judgeInFlight(baseline, green, 250, 4, 1_150), null);
    const breach = await judgeInFlight(baseline, green, 500, 4, 1_450);
    assert.equal(breach?.signal, 'stuck-requests', 'past twice the longest request blue had in flight, it is stuck');
    assert.match(breach!.evidence, /longest in flight 700ms; stuck after 1\.4s\)$/);
  });
});
