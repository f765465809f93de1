import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.ts';
import { LATENCY_BUCKETS_SECONDS } from './router-metrics.ts';

describe('latency histogram', () => {
  test('renders exactly what prom-client renders for the same observations', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(
      fc.double({ min: 0, max: 15, noNaN: true }),
      fc.constantFrom(...LATENCY_BUCKETS_SECONDS), // exactly on a bound: `le` is inclusive
    ), { minLength: 1, maxLength: 200 }), async (values) => {
      const registry = new Registry();
      const reference = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['color', 'listener'], buckets: [...LATENCY_BUCKETS_SECONDS], registers: [registry] });
      const ours = new LatencyHistogram(LATENCY_BUCKETS_SECONDS);
      const child = reference.labels('blue', 'main');
      for (const v of values) {
        child.observe(v);
        ours.observe(v);
      }
      const expected = (await registry.metrics()).trim().split('\n').slice(2);
      assert.deepEqual(ours.lines('x_seconds', 'color="blue",listener="main"'), expected);
    }), { numRuns: 200 });
  });
});
