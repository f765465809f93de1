import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploy } from '../src/core/operations/deploy.ts';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { AnalysisWorkspace, baseConfig } from './support/analysis-workspace.ts';
import { startPrometheus, type RunningPrometheus } from './support/prometheus.ts';

// The router's metrics listener is scraped by a real Prometheus (the Debian package, started
// here with a temporary config on a free port); the prometheus provider asks it, during a
// progressive deploy, for each color's error rate and p99.

const ERROR_RATE = '(sum(rate(cutover_router_requests_total{color="${color}",listener="main",class="5xx"}[${window}])) or vector(0)) / sum(rate(cutover_router_requests_total{color="${color}",listener="main"}[${window}]))';
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(cutover_router_request_duration_seconds_bucket{color="${color}",listener="main"}[${window}])))';

interface Reading { metric: string; phase: string; value?: number; baselineValue?: number; reason: string }

test('a release with 10% 500s is rolled back at 50% on error rate and p99 read from a real Prometheus', { timeout: 120_000 }, async () => {
  // Given v1 live on blue, v2 that fails every 10th request, and Prometheus scraping the router
  const ws = await AnalysisWorkspace.create({ v1: { delayMs: 5 }, v2: { delayMs: 5, failEvery: 10 } }, baseConfig({ metricsListener: true }));
  let prometheus: RunningPrometheus | null = null;
  let load: LoadGenerator | null = null;
  try {
    const metrics = ws.daemon.router.address.metrics;
    assert.ok(metrics, 'the router exposes its metrics listener');
    prometheus = await startPrometheus({ scrapeTargets: [`${metrics}/metrics`] });
    assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
    load = new LoadGenerator({ url: ws.mainUrl, model: 'closed', connections: 4, durationMs: 90_000, path: '/api' }).start();

    // When v2 takes 50% of traffic, judged by Prometheus queries for each color
    const result = await deploy(await ws.deps(baseConfig({ metricsListener: true }) + `progressive:
  steps: [50]
  stepDuration: 20s
analysis:
  post:
    - name: error-rate
      provider: { kind: prometheus, address: "${prometheus.url}", query: '${ERROR_RATE}' }
      interval: 1s
      window: 3s
      initialDelay: 3s
      condition: result < 0.02
      failureLimit: 2         # three bad readings: p99 (same ticks) is read at least twice before the abort
    - name: p99
      provider: { kind: prometheus, address: "${prometheus.url}", query: '${P99}' }
      interval: 1s
      window: 3s
      initialDelay: 3s
      condition: result < 2
      baseline: { minSamples: 3, minEffect: { relative: 2 } }
`), 'v2', { yes: true });

    // Then the error rate read from Prometheus fails v2 at 50% and traffic goes back to blue
    assert.equal(result.outcome, 'rolled_back', result.message);
    assert.equal(result.live.color, 'blue');
    const step = result.phases.find((p) => p.name === 'shift')!;
    assert.equal(step.status, 'failed');
    assert.match(step.detail, /error-rate/);
    const readings = ((step.data as { analysis: { measurements: Reading[] } }).analysis.measurements);
    const errorRates = readings.filter((m) => m.metric === 'error-rate' && m.value !== undefined);
    assert.ok(errorRates.some((m) => m.phase === 'failed' && m.value! > 0.05 && m.value! < 0.15), `green's error rate is about 10%: ${JSON.stringify(errorRates.map((m) => m.value))}`);
    // p99 was read for both colors at the same ticks (green as the value, blue as the baseline)
    const p99 = readings.filter((m) => m.metric === 'p99' && m.value !== undefined && m.baselineValue !== undefined);
    assert.ok(p99.length >= 1, `p99 was read for both colors: ${JSON.stringify(readings.filter((m) => m.metric === 'p99').map((m) => m.reason))}`);
    assert.ok(p99.every((m) => m.value! > 0 && m.value! < 1 && m.baselineValue! > 0 && m.baselineValue! < 1), 'both p99s are plausible seconds');
  } finally {
    if (load) await load.stop().catch(() => {});
    await prometheus?.stop();
    await ws.close();
  }
});
