import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startLoopbackServer } from '../../test/support/loopback-server.ts';
import type { AnalysisResult } from '../core/analysis/analysis-types.ts';
import { systemClock, type AnalysisContext } from '../core/deps.ts';
import { createAnalysisHook } from './analysis-hook.ts';
import { analysisSchema } from './config-schema.ts';
import { createProviders } from './registry.ts';

describe('analysis hook (cutover.yaml analysis: wired to the deploy phases)', () => {
  test('pre runs against the preview address and fails a bad release; post reads for the bake window', async () => {
    const asked: string[] = [];
    const stats = await startLoopbackServer((req, res) => {
      asked.push(req.url!);
      const color = new URL(req.url!, 'http://x').searchParams.get('color');
      res.end(JSON.stringify({ errorRate: color === 'green' ? 0.2 : 0.001 }));
    });
    try {
      const config = analysisSchema.parse({
        pre: [{ name: 'errors', provider: { kind: 'web', url: `${stats.url}/stats?color=\${color}&via=\${targetUrl}`, path: 'errorRate' }, condition: 'result < 0.01' }],
        post: [{ name: 'errors', provider: { kind: 'web', url: `${stats.url}/stats?color=\${color}`, path: 'errorRate' }, interval: '100ms', condition: 'result < 0.01' }],
      });
      const seen: string[] = [];
      const hook = createAnalysisHook(config, {
        providers: createProviders({ baseDir: process.cwd(), env: {} }),
        clock: systemClock,
        onMeasurement: (m) => seen.push(`${m.metric}#${m.index}=${m.phase}`),
      });
      const context = (color: 'blue' | 'green'): AnalysisContext => ({
        app: 'shop-api',
        color,
        version: 'v2',
        baseline: { color: color === 'green' ? 'blue' : 'green', version: 'v1' },
        targets: { replicas: [], preview: 'http://127.0.0.1:8081' },
      });

      const pre = await hook.pre!(context('green'), new AbortController().signal);
      assert.equal(pre.verdict, 'failed');
      assert.equal(pre.critical, true);
      assert.match(pre.summary, /pre-promotion failed: errors: .*result 0\.2 breaks "result < 0\.01"/);
      assert.ok(asked[0].includes('via=http://127.0.0.1:8081'), asked[0]);

      const started = Date.now();
      const post = await hook.post!({ ...context('blue'), durationMs: 500 }, new AbortController().signal);
      const tookMs = Date.now() - started;
      assert.equal(post.verdict, 'successful', post.summary);
      const data = post.data as AnalysisResult;
      assert.equal(data.measurements.length, 6, 'one reading every 100ms from 0 to 500ms');
      assert.ok(tookMs >= 450 && tookMs < 2_000, `bake took ${tookMs}ms`);
      assert.equal(seen.length, 7);
    } finally {
      await stats.close();
    }
  });

  test('without metrics the hook has nothing to run', () => {
    const hook = createAnalysisHook({}, { providers: createProviders({ baseDir: '.', env: {} }), clock: systemClock });
    assert.equal(hook.pre, undefined);
    assert.equal(hook.post, undefined);
  });
});
