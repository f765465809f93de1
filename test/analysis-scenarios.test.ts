import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deploy } from '../src/core/operations/deploy.ts';
import type { OperationResult } from '../src/core/engine/operation-result.ts';
import type { PhaseRecord } from '../src/core/types.ts';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import type { LoadRecord } from '../src/loadgen/load-recorder.ts';
import { AnalysisWorkspace, baseConfig } from './support/analysis-workspace.ts';

/**
 * Automated analysis end to end: an in-process daemon (router + supervisor) running real
 * release processes, real keep-alive load through the router, and the core's deploy. Each
 * scenario reads as given / when / then.
 */

const ERROR_RATE = `    - name: error-rate
      provider: { kind: builtin, metric: error-rate, listener: main }
      interval: 1s
      condition: result < 0.01
`;

function phases(result: OperationResult, name: string): PhaseRecord[] {
  return result.phases.filter((p) => p.name === name);
}

function measurementsOf(phase: PhaseRecord | undefined): Array<{ metric: string; phase: string; reason: string }> {
  const data = phase?.data as { analysis?: { measurements?: Array<{ metric: string; phase: string; reason: string }> } } | undefined;
  return data?.analysis?.measurements ?? [];
}

function apiLoad(url: string, options: { connections?: number; headers?: Record<string, string>; durationMs?: number } = {}): LoadGenerator {
  return new LoadGenerator({ url, model: 'closed', connections: options.connections ?? 4, durationMs: options.durationMs ?? 120_000, path: '/api', headers: options.headers }).start();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('analysis scenarios under load', { concurrency: 1 }, () => {
  test('1. a release that starts answering 5% 500s 10 s after the switch is rolled back automatically', { timeout: 90_000 }, async () => {
    // Given v1 live on blue and v2, which fails every 20th request once it has served traffic for 10 s
    const ws = await AnalysisWorkspace.create({ v1: {}, v2: { failEvery: 20, failAfterMs: 10_000 } }, baseConfig());
    let load: LoadGenerator | null = null;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      load = apiLoad(ws.mainUrl);
      await sleep(500);
      // When v2 is deployed with a 1 s error-rate check over a 60 s bake window
      const result = await deploy(await ws.deps(baseConfig({ monitor: '60s' }) + `analysis:\n  post:\n${ERROR_RATE}`), 'v2', { yes: true });
      await sleep(1_000);
      await load.stop();
      const records = load.records();
      load = null;

      // Then it is rolled back to blue, soon after the first bad response, and blue serves everything again
      assert.equal(result.outcome, 'rolled_back', result.message);
      assert.deepEqual(result.live, { color: 'blue', version: 'v1' });
      const monitor = phases(result, 'monitor')[0]!;
      assert.equal(monitor.status, 'failed');
      // The builtin 5xx guardrail sees the same errors; the configured analysis names the verdict
      // however the two readings interleave (the builtin waits for its next 1 s reading).
      assert.equal((monitor.data as { verdict: { signal: string } }).verdict.signal, 'analysis', monitor.detail);
      assert.match(monitor.detail, /post-promotion analysis failed: .*error-rate/);
      assert.ok(measurementsOf(monitor).some((m) => m.metric === 'error-rate' && m.phase === 'failed'), 'the failed reading is recorded with its reason');
      const firstBad = records.find((r) => r.status === 500);
      assert.ok(firstBad, 'v2 did answer 500s');
      assert.ok(firstBad.start - Date.parse(monitor.startedAt) >= 9_000, 'the failures began about 10 s into the bake window');
      const lastGreen = Math.max(...records.filter((r) => r.color === 'green').map((r) => r.start));
      assert.ok(lastGreen - firstBad.start < 5_000, `green still took requests ${lastGreen - firstBad.start} ms after its first 500`);
      const tail = records.filter((r) => r.start > lastGreen);
      assert.ok(tail.length > 50 && tail.every((r) => r.color === 'blue' && r.status === 200), 'after the rollback every request is answered 200 by blue');
    } finally {
      if (load) await load.stop().catch(() => {});
      await ws.close();
    }
  });

  test('1b. when a builtin guardrail and the configured analysis see the same errors, the analysis names the verdict', { timeout: 90_000 }, async () => {
    // Given v1 live on blue, and v2 that answers every request 500 from 2 s after its first real
    // request: the builtin 5xx rule, which reads every 250 ms, is ready to fire within a quarter
    // second of that, up to 2 s before the analysis' next reading (every 2 s, the longest the
    // builtin waits for). Without that wait (ANALYSIS_GRACE_MS in watch.ts) the builtin names the
    // verdict in most runs, so three runs all named by the analysis show the wait works.
    const ws = await AnalysisWorkspace.create({ v1: {}, v2: { failEvery: 1, failAfterMs: 2_000 } }, baseConfig());
    let load: LoadGenerator | null = null;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      load = apiLoad(ws.mainUrl);
      await sleep(500);
      const verdicts: string[] = [];
      // When v2 is deployed three times with an error-rate check every 2 s (each time rolled back)
      for (let i = 0; i < 3; i++) {
        const result = await deploy(await ws.deps(baseConfig({ monitor: '30s' }) + `analysis:\n  post:\n${ERROR_RATE.replace('interval: 1s', 'interval: 2s')}`), 'v2', { yes: true });
        assert.equal(result.outcome, 'rolled_back', result.message);
        const monitor = phases(result, 'monitor')[0]!;
        verdicts.push(`${(monitor.data as { verdict: { signal: string } }).verdict.signal}: ${monitor.detail}`);
      }
      // Then the analysis, the user's own rule, names the verdict every time
      assert.deepEqual(verdicts.map((v) => v.split(':')[0]), ['analysis', 'analysis', 'analysis'], verdicts.join('\n'));
    } finally {
      if (load) await load.stop().catch(() => {});
      await ws.close();
    }
  });

  test('2. a release 3x slower at p99 is rolled back by the baseline comparison, where a fixed threshold passes it', { timeout: 120_000 }, async () => {
    // Given v1 (about 10 ms per request) live on blue, and v2 that takes about 30 ms
    const ws = await AnalysisWorkspace.create({ v1: { delayMs: 10 }, v2: { delayMs: 30 } }, baseConfig());
    let load: LoadGenerator | null = null;
    const progressive = `progressive:\n  steps: [50]\n  stepDuration: 8s\n`;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      load = apiLoad(ws.mainUrl);
      await sleep(500);

      // When v2 is judged against v1 (both serve half the traffic at the 50% step)
      const baseline = await deploy(await ws.deps(baseConfig() + progressive + `analysis:
  post:
    - name: p99
      provider: { kind: builtin, metric: latency, quantile: 0.99, listener: main }
      interval: 500ms
      baseline: { minSamples: 5 }
`), 'v2', { yes: true });
      // Then the baseline comparison fails it at 50% and traffic goes back to blue
      assert.equal(baseline.outcome, 'rolled_back', baseline.message);
      assert.equal(baseline.live.color, 'blue');
      const step = phases(baseline, 'shift')[0]!;
      assert.equal(step.status, 'failed');
      assert.match(step.detail, /p99/);
      assert.match(step.detail, /50% of traffic is between 10% and 50%: roll back immediately/);
      const judged = measurementsOf(step).filter((m) => m.metric === 'p99' && m.phase === 'failed');
      assert.ok(judged.length >= 1, 'the failing comparison is recorded');

      // When the same release is judged only against a fixed p99 threshold of 500 ms
      const fixed = await deploy(await ws.deps(baseConfig() + progressive + `analysis:
  post:
    - name: p99
      provider: { kind: builtin, metric: latency, quantile: 0.99, listener: main }
      interval: 500ms
      condition: result < 0.5
`), 'v2', { yes: true });
      // Then it passes: the fixed threshold cannot see that it is 3x slower than what it replaces
      assert.equal(fixed.outcome, 'promoted', fixed.message);
      assert.equal(fixed.live.color, 'green');
      assert.equal(phases(fixed, 'shift')[0]!.status, 'succeeded');
    } finally {
      if (load) await load.stop().catch(() => {});
      await ws.close();
    }
  });

  describe('3. a flaky metric source', () => {
    let source: Server;
    let sourceUrl = '';
    let calls = 0;
    before(async () => {
      // Answers garbage or 500 three times out of four; the fourth answer is a healthy reading.
      source = createServer((req, res) => {
        calls++;
        if (calls % 4 === 1) { res.writeHead(500); return res.end('overloaded'); }
        if (calls % 4 === 2) { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{not json'); }
        if (calls % 4 === 3) { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"data":{}}'); }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":{"queue":3}}');
      });
      await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
      sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => source.close(() => resolve())));

    test('does not on its own cause a rollback, but is reported', { timeout: 60_000 }, async () => {
      // Given a healthy v2 and two metric sources: one that errors most of the time, one that is down
      const ws = await AnalysisWorkspace.create({ v1: {}, v2: {} }, baseConfig());
      let load: LoadGenerator | null = null;
      try {
        assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
        load = apiLoad(ws.mainUrl);
        // When v2 is deployed with those metrics watched over a 4 s bake window
        const result = await deploy(await ws.deps(baseConfig({ monitor: '4s' }) + `analysis:
  post:
    - name: queue-length
      provider: { kind: web, url: "${sourceUrl}/queue", path: data.queue, timeout: 1s }
      interval: 250ms
      condition: result < 100
    - name: business-kpi
      provider: { kind: web, url: "http://127.0.0.1:9/kpi", path: value, timeout: 500ms }
      interval: 250ms
      condition: result > 0
`), 'v2', { yes: true });
        await load.stop();
        const report = load.report();
        load = null;
        // Then v2 is promoted, every request succeeded, and the errors are in the record with their reasons
        assert.equal(result.outcome, 'promoted', result.message);
        assert.equal(report.total.non2xx, 0);
        const monitor = phases(result, 'monitor')[0]!;
        assert.equal(monitor.status, 'succeeded');
        assert.match(monitor.detail, /analysis error/);
        const readings = measurementsOf(monitor);
        assert.ok(readings.some((m) => m.metric === 'queue-length' && m.phase === 'error'), 'errors of the flaky source are recorded');
        assert.ok(readings.some((m) => m.metric === 'queue-length' && m.phase === 'successful'), 'its good readings are recorded too');
        assert.ok(readings.some((m) => m.metric === 'business-kpi' && m.phase === 'error' && /127\.0\.0\.1:9|ECONNREFUSED|refused/i.test(m.reason)), 'the unreachable source is reported with the reason');
        assert.ok(!readings.some((m) => m.phase === 'failed'), 'no reading was judged bad');
      } finally {
        if (load) await load.stop().catch(() => {});
        await ws.close();
      }
    });
  });

  test('4. a healthy release goes 10% -> 50% -> 100%, is promoted and the old color retired', { timeout: 90_000 }, async () => {
    // Given v1 live on blue and a healthy v2
    const ws = await AnalysisWorkspace.create({ v1: {}, v2: {} }, baseConfig());
    let load: LoadGenerator | null = null;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      load = apiLoad(ws.mainUrl);
      await sleep(300);
      // When it is deployed progressively with error-rate analysis at each step
      load.mark('deploy');
      const result = await deploy(await ws.deps(baseConfig() + `progressive:\n  steps: [10, 50]\n  stepDuration: 3s\nanalysis:\n  post:\n${ERROR_RATE}`), 'v2', { yes: true });
      load.mark('after');
      await sleep(500);
      await load.stop();
      const report = load.report();
      const records = load.records();
      load = null;
      // Then each step passed with its analysis recorded, v2 is live, blue is stopped, nobody saw an error
      assert.equal(result.outcome, 'promoted', result.message);
      assert.deepEqual(result.live, { color: 'green', version: 'v2' });
      const steps = phases(result, 'shift');
      assert.deepEqual(steps.map((s) => [(s.data as { percent: number }).percent, s.status]), [[10, 'succeeded'], [50, 'succeeded']]);
      for (const step of steps) {
        assert.match(step.detail, /analysis successful/);
        assert.ok(measurementsOf(step).some((m) => m.metric === 'error-rate' && m.phase === 'successful'));
      }
      assert.equal(phases(result, 'retire')[0]?.status, 'succeeded');
      const status = ws.daemon.status();
      assert.equal(status.colors.blue.desired, 0, 'blue was retired');
      assert.equal(report.total.non2xx + report.total.socketErrors, 0, 'every request succeeded');
      const during = records.filter((r) => r.start >= Date.parse(steps[0]!.startedAt) && r.end <= Date.parse(steps[0]!.startedAt) + steps[0]!.durationMs);
      const greenShare = during.filter((r) => r.color === 'green').length / during.length;
      assert.ok(greenShare > 0.03 && greenShare < 0.25, `about 10% went to green during the 10% step (saw ${(greenShare * 100).toFixed(1)}%)`);
      const afterWindow = report.windows.find((w) => w.label === 'after');
      assert.ok(afterWindow && afterWindow.requests > 0 && afterWindow.byColor.green === afterWindow.requests, `after the deploy green serves everything: ${JSON.stringify(afterWindow)}`);
    } finally {
      if (load) await load.stop().catch(() => {});
      await ws.close();
    }
  });

  test('6. a non-critical failure over 50% of traffic holds the split and alerts until someone decides', { timeout: 90_000 }, async () => {
    // Given v1 live on blue, and v2 that answers every 10th request with a 500
    const ws = await AnalysisWorkspace.create({ v1: {}, v2: { failEvery: 10 } }, baseConfig());
    let load: LoadGenerator | null = null;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      load = apiLoad(ws.mainUrl);
      // When a 75% step fails on a metric marked non-critical
      const deps = await ws.deps(baseConfig() + `progressive:\n  steps: [75]\n  stepDuration: 20s\nanalysis:\n  post:\n${ERROR_RATE}      critical: false\n`);
      const alerts: string[] = [];
      const running = deploy({ ...deps, notify: (event) => { if (event.type === 'verdict') alerts.push(event.message ?? ''); } }, 'v2', { yes: true });
      let heldAt = 0;
      for (let i = 0; i < 200 && !heldAt; i++) {
        await sleep(100);
        if (ws.warnings.some((w) => w.startsWith('HOLDING'))) heldAt = Date.now();
      }
      // Then it holds: a loud warning and an alert, the operation waits, and the split stays in force
      assert.ok(heldAt, `the deploy held (warnings: ${ws.warnings.join(' | ')})`);
      assert.ok(alerts.some((a) => /step 75% analysis hold: .*75% of traffic is over 50% and the failure is not critical/.test(a)), `an alert went out: ${alerts.join(' | ')}`);
      const state = await deps.store.load();
      assert.equal(state?.operation?.phases.at(-1)?.status, 'waiting');
      await sleep(1_500);
      assert.ok(load.records().some((r) => r.start > heldAt + 1_000 && r.color === 'green'), 'green still takes its share while held');
      // When someone runs `cutover rollback`, then traffic goes back to blue
      await deps.store.sendSignal(state!.operation!.id, 'rollback');
      const result = await running;
      assert.equal(result.outcome, 'rolled_back', result.message);
      assert.equal(result.live.color, 'blue');
      const step = result.phases.find((p) => p.name === 'shift')!;
      assert.equal(step.status, 'failed');
      assert.match(step.detail, /held .*then rolled back on request/);
      assert.equal((step.data as { decision: { action: string } }).decision.action, 'hold');
    } finally {
      if (load) await load.stop().catch(() => {});
      await ws.close();
    }
  });

  test('5. a 10% -> 50% -> 100% progression stops at 10% on a bad release and its cohort is served by blue again', { timeout: 90_000 }, async () => {
    // Given v1 live on blue, and v2 that answers every 5th request with a 500
    const ws = await AnalysisWorkspace.create({ v1: {}, v2: { failEvery: 5 } }, baseConfig());
    let everyone: LoadGenerator | null = null;
    let beta: LoadGenerator | null = null;
    try {
      assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
      everyone = apiLoad(ws.mainUrl);
      beta = apiLoad(ws.mainUrl, { connections: 1, headers: { 'x-beta': '1' } });
      await sleep(300);
      // When v2 is rolled out to the beta cohort and 10%, then 50%, with error-rate analysis
      const result = await deploy(await ws.deps(baseConfig() + `progressive:
  steps: [10, 50]
  stepDuration: 10s
  sticky: { header: x-user-id }
  cohort: { header: { name: x-beta, values: ["1"] } }
analysis:
  post:
${ERROR_RATE}`), 'v2', { yes: true });
      const rolledBackAt = Date.now();
      await sleep(1_000);
      await Promise.all([everyone.stop(), beta.stop()]);
      const betaRecords: LoadRecord[] = beta.records();
      everyone = null;
      beta = null;

      // Then it stops at the 10% step, never reaches 50%, and goes back to blue
      assert.equal(result.outcome, 'rolled_back', result.message);
      assert.equal(result.live.color, 'blue');
      const steps = phases(result, 'shift');
      assert.equal(steps.length, 1, 'the 50% step never started');
      assert.equal((steps[0]!.data as { percent: number }).percent, 10);
      assert.equal(steps[0]!.status, 'failed');
      assert.match(steps[0]!.detail, /error-rate/);
      assert.match(steps[0]!.detail, /10% of traffic is between 10% and 50%: roll back immediately/);
      assert.equal(phases(result, 'switch').length, 0, 'there was never a full switch');
      const stepStart = Date.parse(steps[0]!.startedAt);
      const stepEnd = stepStart + steps[0]!.durationMs;
      // The cohort was on green during the step (it saw v2's 500s) ...
      const inStep = betaRecords.filter((r) => r.start > stepStart + 500 && r.end < stepEnd);
      assert.ok(inStep.length > 5 && inStep.every((r) => r.color === 'green'), 'the beta cohort was served by green during the 10% step');
      // ... and is served by blue, without errors, once the rollback is done.
      const afterwards = betaRecords.filter((r) => r.start > rolledBackAt);
      assert.ok(afterwards.length > 5, 'the cohort kept sending requests');
      assert.ok(afterwards.every((r) => r.color === 'blue' && r.status === 200), 'the beta cohort is back on blue');
    } finally {
      await everyone?.stop().catch(() => {});
      await beta?.stop().catch(() => {});
      await ws.close();
    }
  });
});
