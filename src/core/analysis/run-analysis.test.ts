import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeasureContext, Measurement, MetricProvider } from '../../metrics/provider.ts';
import { VirtualClock } from '../../../test/support/virtual-clock.ts';
import type { AnalysisMeasurement, AnalysisSpec, MetricSpec } from './analysis-types.ts';
import { compileCondition } from './condition.ts';
import { runAnalysis } from './run-analysis.ts';

type Script = (ctx: MeasureContext, reading: number, clock: VirtualClock) => Promise<Partial<Measurement>> | Partial<Measurement>;

/** A provider whose answers come from a script; it counts readings per color. */
function scripted(clock: VirtualClock, script: Script): MetricProvider<never> & { calls: number } {
  const perColor = new Map<string, number>();
  const provider = {
    kind: 'fake',
    calls: 0,
    async measure(_query: never, ctx: MeasureContext): Promise<Measurement> {
      provider.calls++;
      const n = perColor.get(ctx.color) ?? 0;
      perColor.set(ctx.color, n + 1);
      const startedAt = clock.now();
      const answer = await script(ctx, n, clock);
      return { phase: 'successful', startedAt, finishedAt: clock.now(), ...answer };
    },
  };
  return provider;
}

function metric(overrides: Partial<MetricSpec> = {}): MetricSpec {
  return {
    name: 'error-rate',
    provider: { kind: 'fake' },
    intervalMs: 1_000,
    count: 10,
    initialDelayMs: 0,
    windowMs: 1_000,
    condition: compileCondition('result < 0.01'),
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    critical: true,
    readingTimeoutMs: 5_000,
    ...overrides,
  };
}

function spec(metrics: MetricSpec[], withBaseline = false): AnalysisSpec {
  return {
    name: 'post-promotion',
    app: 'shop-api',
    canary: { color: 'green', version: 'v2' },
    baseline: withBaseline ? { color: 'blue', version: 'v1' } : undefined,
    metrics,
  };
}

/** Seeded, so the "noisy" samples below are the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('runAnalysis: thresholds and limits', () => {
  test('given error rates that jump to 5% at the third reading, the metric fails right then, not at the end of its 10 readings', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (_ctx, n) => ({ value: n < 2 ? 0 : 0.05 }));
    const start = clock.now();
    const result = await clock.run(runAnalysis(spec([metric()]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'failed');
    assert.equal(result.measurements.length, 3);
    assert.equal(result.finishedAt - start, 2_000, 'failed at the third tick (t=2s)');
    assert.equal(result.metrics[0].stoppedEarly, true);
    assert.equal(result.criticalFailure, true);
    assert.match(result.reason, /result 0\.05 breaks "result < 0\.01"/);
    assert.deepEqual(result.measurements.map((m) => m.phase), ['successful', 'successful', 'failed']);
  });

  test('failureLimit tolerates that many failed readings and fails on the next one', async () => {
    const clock = new VirtualClock();
    const values = [0, 0.05, 0, 0, 0.05, 0.05, 0];
    const provider = scripted(clock, (_ctx, n) => ({ value: values[n] }));
    const result = await clock.run(runAnalysis(spec([metric({ failureLimit: 2, count: 7 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'failed');
    assert.equal(result.measurements.length, 6);
    assert.match(result.metrics[0].reason, /^3 of 6 readings failed \(limit 2\)/);
  });

  test('a flaky source (errors between good readings) does not fail the metric, but every error is reported', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (_ctx, n) =>
      n % 3 === 1 ? { phase: 'error', message: 'connect ECONNREFUSED 127.0.0.1:9090' } : { value: 0.001 },
    );
    const result = await clock.run(runAnalysis(spec([metric({ consecutiveErrorLimit: 1 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'successful');
    assert.deepEqual(result.metrics[0].counts, { successful: 7, failed: 0, inconclusive: 0, error: 3 });
    assert.match(result.metrics[0].reason, /3 errors/);
    const errors = result.measurements.filter((m) => m.phase === 'error');
    assert.equal(errors.length, 3);
    assert.match(errors[0].reason, /green \(v2\): connect ECONNREFUSED/);
  });

  test('errors past consecutiveErrorLimit make the verdict "error", never "failed"', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => ({ phase: 'error', message: 'timed out after 2s' }));
    const result = await clock.run(runAnalysis(spec([metric({ consecutiveErrorLimit: 2 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'error');
    assert.equal(result.criticalFailure, false);
    assert.equal(result.measurements.length, 3);
    assert.match(result.reason, /3 readings in a row could not be taken \(limit 2\)/);
  });

  test('inconclusive readings (no traffic) past inconclusiveLimit make the metric inconclusive', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (_ctx, n) => (n < 3 ? { phase: 'inconclusive', message: 'no requests to green in the last 1s' } : { value: 0 }));
    const result = await clock.run(runAnalysis(spec([metric({ inconclusiveLimit: 2 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'inconclusive');
    assert.match(result.reason, /no requests to green/);
  });

  test('a duration takes one reading per interval from the start to the end of the window', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => ({ value: 0 }));
    const start = clock.now();
    const result = await clock.run(
      runAnalysis(spec([metric({ count: undefined, durationMs: 5_000, initialDelayMs: 500 })]), { providers: { fake: provider }, clock }),
    );
    assert.equal(result.verdict, 'successful');
    assert.deepEqual(result.measurements.map((m) => m.startedAt - start), [500, 1_500, 2_500, 3_500, 4_500, 5_500]);
  });

  test('a reading that hangs past readingTimeoutMs is recorded as an error and the analysis moves on', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, async (_ctx, n, c) => {
      if (n === 0) await c.sleep(60_000);
      return { value: 0 };
    });
    const start = clock.now();
    const result = await clock.run(runAnalysis(spec([metric({ count: 2, readingTimeoutMs: 2_000 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'successful');
    assert.equal(result.measurements[0].phase, 'error');
    assert.match(result.measurements[0].reason, /no answer within 2s/);
    assert.equal(result.measurements[0].finishedAt - start, 2_000);
  });

  test('a provider that throws (a bug) yields an error reading, not a crashed analysis', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => {
      throw new TypeError('cannot read properties of undefined');
    });
    const result = await clock.run(runAnalysis(spec([metric({ count: 1 })]), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'error');
    assert.match(result.measurements[0].reason, /provider failed: TypeError/);
  });

  test('an unknown provider kind is reported as an error verdict', async () => {
    const clock = new VirtualClock();
    const result = await clock.run(runAnalysis(spec([metric({ provider: { kind: 'graphite' } })]), { providers: {}, clock }));
    assert.equal(result.verdict, 'error');
    assert.match(result.reason, /no metric provider of kind "graphite"/);
  });
});

describe('runAnalysis: several metrics', () => {
  test('the first failing metric stops the others at once; a non-critical failure is flagged as such', async () => {
    const clock = new VirtualClock();
    const latency = scripted(clock, () => ({ value: 0.1 }));
    const errors = scripted(clock, (_ctx, n) => ({ value: n === 1 ? 0.2 : 0 }));
    const start = clock.now();
    const result = await clock.run(
      runAnalysis(
        spec([
          metric({ name: 'p99', provider: { kind: 'latency' }, count: 300, condition: compileCondition('result < 0.5') }),
          metric({ name: 'business', provider: { kind: 'errors' }, critical: false }),
        ]),
        { providers: { latency, errors }, clock },
      ),
    );
    assert.equal(result.verdict, 'failed');
    assert.equal(result.criticalFailure, false);
    assert.ok(result.finishedAt - start <= 1_000, `stopped at t=${result.finishedAt - start}ms`);
    const p99 = result.metrics.find((m) => m.metric === 'p99')!;
    assert.equal(p99.stoppedEarly, true);
    assert.ok(latency.calls <= 2);
    assert.match(result.reason, /business/);
  });

  test('the worst verdict wins: error outranks inconclusive and successful', async () => {
    const clock = new VirtualClock();
    const good = scripted(clock, () => ({ value: 0 }));
    const broken = scripted(clock, () => ({ phase: 'error', message: 'HTTP 500' }));
    const result = await clock.run(
      runAnalysis(spec([metric({ name: 'a', provider: { kind: 'good' }, count: 3 }), metric({ name: 'b', provider: { kind: 'broken' }, count: 3 })]), {
        providers: { good, broken },
        clock,
      }),
    );
    assert.equal(result.verdict, 'error');
    assert.deepEqual(result.metrics.map((m) => m.verdict), ['successful', 'error']);
  });

  test('onMeasurement sees every reading as it happens and onVerdict every metric once', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => ({ value: 0 }));
    const seen: AnalysisMeasurement[] = [];
    const verdicts: string[] = [];
    const result = await clock.run(
      runAnalysis(spec([metric({ count: 3 })]), {
        providers: { fake: provider },
        clock,
        onMeasurement: (m) => seen.push(m),
        onVerdict: (v) => verdicts.push(`${v.metric}=${v.verdict}`),
      }),
    );
    assert.deepEqual(seen.map((m) => m.index), [0, 1, 2]);
    assert.deepEqual(seen, [...result.measurements]);
    assert.deepEqual(verdicts, ['error-rate=successful']);
  });

  test("the caller's abort ends a long analysis promptly with aborted: true", async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => ({ value: 0 }));
    const controller = new AbortController();
    const start = clock.now();
    const running = runAnalysis(spec([metric({ count: 300 })]), { providers: { fake: provider }, clock }, controller.signal);
    void clock.sleep(3_500).then(() => controller.abort());
    const result = await clock.run(running);
    assert.equal(result.aborted, true);
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.finishedAt - start, 3_500);
    assert.equal(result.measurements.length, 4);
  });
});

describe('runAnalysis: baseline comparison', () => {
  const latencies = (seed: number, scale: number) => {
    const next = random(seed);
    return () => scale * (0.08 + 0.04 * next());
  };

  test('a release 3x slower at p99 fails the baseline comparison, while the fixed threshold alone passes it', async () => {
    const run = async (withBaseline: boolean) => {
      const clock = new VirtualClock();
      const blue = latencies(1, 1);
      const green = latencies(2, 3);
      const provider = scripted(clock, (ctx) => ({ value: ctx.color === 'green' ? green() : blue() }));
      const m = metric({
        name: 'p99',
        count: 30,
        condition: compileCondition('result < 1'),
        baseline: withBaseline
          ? { direction: 'increase', alpha: 0.05, minSamples: 5, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0 } }
          : undefined,
      });
      return clock.run(runAnalysis(spec([m], true), { providers: { fake: provider }, clock }));
    };
    const fixed = await run(false);
    assert.equal(fixed.verdict, 'successful', 'p99 around 0.3s is under the fixed 1s threshold');
    const compared = await run(true);
    assert.equal(compared.verdict, 'failed');
    assert.equal(compared.measurements.length, 5, 'judged as soon as 5 samples per color exist');
    const last = compared.measurements.at(-1)!;
    assert.ok(last.comparison && last.comparison.pValue < 0.05);
    assert.match(compared.reason, /green \(v2\) is worse than blue \(v1\)/);
    assert.ok(compared.measurements.slice(0, 4).every((m) => m.phase === 'successful'), 'warm-up readings still pass the condition');
  });

  test('a healthy release with the same noisy latency as the old one passes 60 readings of comparison', async () => {
    const clock = new VirtualClock();
    const blue = latencies(3, 1);
    const green = latencies(4, 1);
    const provider = scripted(clock, (ctx) => ({ value: ctx.color === 'green' ? green() : blue() }));
    const m = metric({
      name: 'p99',
      count: 60,
      condition: undefined,
      failureLimit: 2,
      baseline: { direction: 'increase', alpha: 0.05, minSamples: 5, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0 } },
    });
    const result = await clock.run(runAnalysis(spec([m], true), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'successful', result.reason);
    assert.equal(result.measurements.filter((x) => x.warmup).length, 4);
    assert.equal(result.metrics[0].counts.inconclusive, 0, 'warm-up readings do not count against inconclusiveLimit');
  });

  test('an error rate that goes from 0% to 5% is judged against a baseline of zeros (all ties)', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (ctx) => ({ value: ctx.color === 'green' ? 0.05 : 0 }));
    const m = metric({
      condition: undefined,
      baseline: { direction: 'increase', alpha: 0.05, minSamples: 4, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0.001 } },
    });
    const result = await clock.run(runAnalysis(spec([m], true), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'failed');
    assert.equal(result.measurements.length, 4);
  });

  test('a failing baseline source is an error reading naming the old color', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (ctx) => (ctx.color === 'blue' ? { phase: 'error', message: 'HTTP 502' } : { value: 0.1 }));
    const m = metric({
      count: 1,
      condition: undefined,
      baseline: { direction: 'increase', alpha: 0.05, minSamples: 4, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0 } },
    });
    const result = await clock.run(runAnalysis(spec([m], true), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'error');
    assert.match(result.measurements[0].reason, /^blue \(v1\): HTTP 502/);
  });

  test('samples given as a whole window (values) replace, not pile up', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, (ctx) => {
      const base = ctx.color === 'green' ? 0.3 : 0.1;
      return { value: base, values: [base, base + 0.01, base + 0.02, base + 0.03, base + 0.04] };
    });
    const m = metric({
      count: 3,
      condition: undefined,
      baseline: { direction: 'increase', alpha: 0.05, minSamples: 5, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0 } },
    });
    const result = await clock.run(runAnalysis(spec([m], true), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'failed');
    assert.equal(result.measurements.length, 1, 'five samples per side on the first reading');
    assert.equal(result.measurements[0].comparison?.canaryCount, 5);
  });

  test('baseline mode without an old color reports an error instead of guessing', async () => {
    const clock = new VirtualClock();
    const provider = scripted(clock, () => ({ value: 0 }));
    const m = metric({ baseline: { direction: 'increase', alpha: 0.05, minSamples: 4, maxSamples: 120, minEffect: { relative: 0.1, absolute: 0 } } });
    const result = await clock.run(runAnalysis(spec([m], false), { providers: { fake: provider }, clock }));
    assert.equal(result.verdict, 'error');
    assert.match(result.reason, /needs the old color/);
  });
});
