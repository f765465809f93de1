import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { analysisSchema, notificationsSchema } from './config-schema.ts';
import { resolveMetric } from './resolve-analysis.ts';

const EXAMPLE = `
analysis:
  pre:
    - name: smoke-errors
      provider: { kind: web, url: "\${targetUrl}/stats", path: data.errorRate }
      condition: result < 0.01
  post:
    - name: error-rate
      provider: { kind: builtin, metric: error-rate }
      interval: 1s
      condition: result < 0.01
      failureLimit: 1
    - name: p99
      provider:
        kind: prometheus
        address: http://127.0.0.1:9090
        query: histogram_quantile(0.99, sum by (le) (rate(cutover_router_request_duration_seconds_bucket{color="\${color}"}[\${window}])))
      interval: 1s
      window: 30s
      baseline: { alpha: 0.01, minEffect: { relative: 0.5 } }
      critical: false
    - name: queue-length
      provider: { kind: command, run: [./scripts/queue-length.sh, "\${color}"] }
      condition: result < 1000
notifications:
  webhooks:
    - url: https://hooks.slack.example/T000/B000
      format: slack
      events: [verdict, operation-finished]
    - url: http://127.0.0.1:9000/cutover
`;

const issues = (result: { success: boolean; error?: z.ZodError }) => result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('analysis and notifications config', () => {
  test('the documented example validates', () => {
    const doc = parseYaml(EXAMPLE) as { analysis: unknown; notifications: unknown };
    const analysis = analysisSchema.safeParse(doc.analysis);
    assert.deepEqual(issues(analysis), []);
    assert.deepEqual(issues(notificationsSchema.safeParse(doc.notifications)), []);
    assert.equal(analysis.data?.post?.[1].provider.kind, 'prometheus');
  });

  test('mistakes are reported by field path with what was expected', () => {
    const result = analysisSchema.safeParse({
      post: [
        { name: 'a', provider: { kind: 'graphite' }, condition: 'result < 1' },
        { name: 'b', provider: { kind: 'builtin', metric: 'error-rate', quantile: 2 }, condition: 'result <' },
        { name: 'c', provider: { kind: 'web', url: 'http://x/\${colour}' }, count: 3, duration: '1m', interval: '1 sec' },
        { name: 'd', provider: { kind: 'builtin', metric: 'latency' } },
      ],
    });
    const found = issues(result);
    const expect = [
      /^post\.0\.provider\.kind: .*'builtin' \| 'prometheus' \| 'web' \| 'command'/,
      /^post\.1\.provider\.quantile: /,
      /^post\.1\.condition: condition "result <": unexpected end at column 9/,
      /^post\.2\.provider\.url: unknown placeholder \$\{colour\}/,
      /^post\.2\.interval: expected a duration/,
      /^post\.2\.duration: give count or duration, not both/,
      /^post\.3\.condition: give a condition .* baseline: true, or both/,
    ];
    for (const pattern of expect) assert.ok(found.some((line) => pattern.test(line)), `${pattern} in:\n${found.join('\n')}`);
  });

  test('the schemas export to JSON Schema (for editors and the generated schema file)', () => {
    const schema = z.toJSONSchema(analysisSchema) as { properties: Record<string, unknown> };
    assert.ok('pre' in schema.properties && 'post' in schema.properties);
    assert.match(JSON.stringify(schema), /"const":"prometheus"/);
    z.toJSONSchema(notificationsSchema);
  });

  test('resolving fills defaults: post reads for the bake window, pre reads once (minSamples with a baseline)', () => {
    const doc = analysisSchema.parse((parseYaml(EXAMPLE) as { analysis: unknown }).analysis);
    const errorRate = resolveMetric(doc.post![0], { stage: 'post', bakeMs: 300_000 });
    assert.deepEqual(
      [errorRate.intervalMs, errorRate.windowMs, errorRate.durationMs, errorRate.count, errorRate.failureLimit, errorRate.consecutiveErrorLimit, errorRate.critical],
      [1_000, 1_000, 300_000, undefined, 1, 4, true],
    );
    assert.equal(errorRate.condition?.evaluate({ result: 0.02 }), false);
    const p99 = resolveMetric(doc.post![1], { stage: 'post', bakeMs: 300_000 });
    assert.deepEqual(p99.baseline, { direction: 'increase', alpha: 0.01, minSamples: 5, maxSamples: 120, minEffect: { relative: 0.5, absolute: 0 } });
    assert.equal(p99.windowMs, 30_000);
    assert.equal(p99.critical, false);
    assert.equal(resolveMetric(doc.pre![0], { stage: 'pre' }).count, 1);
    assert.equal(resolveMetric({ ...doc.post![1] }, { stage: 'pre' }).count, 5);
  });
});
