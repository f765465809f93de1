import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { deploy } from '../src/core/operations/deploy.ts';
import type { AppView } from '../src/dashboard/app-view.ts';
import { CachedCatalog } from '../src/dashboard/app-catalog.ts';
import { ConfiguredApp } from '../src/dashboard/dashboard-app.ts';
import { DashboardServer } from '../src/dashboard/dashboard-server.ts';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { AnalysisWorkspace, baseConfig } from './support/analysis-workspace.ts';

/**
 * The dashboard shows an analysis while it runs: each measurement reaches the page's event
 * stream as it is taken, not when the analysis phase ends. A real deploy with a builtin metric
 * (the router's own counters) under real load, watched through the dashboard's SSE stream.
 */

interface LiveMeasurement { metric: string; index: number; phase: string; value?: number; reason: string; startedAt: number; finishedAt: number }
interface Sighting { at: number; phase: string; status: string; verdict: string; measurements: LiveMeasurement[] }

const POST_ANALYSIS = `analysis:
  post:
    - name: error-rate
      provider: { kind: builtin, metric: error-rate, listener: main }
      interval: 1s
      condition: result < 0.01
`;

async function signIn(server: DashboardServer): Promise<string> {
  const res = await request(server.mintUrl({ readOnly: true }));
  await res.body.dump();
  assert.equal(res.statusCode, 303);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

/** Reads `view` events from the app's SSE stream and keeps each one that carries analysis data of a running operation. */
async function watchAnalysis(server: DashboardServer, cookie: string, app: string, signal: AbortSignal, out: Sighting[]): Promise<void> {
  const res = await request(`${server.address}/api/apps/${app}/events`, { headers: { cookie }, signal });
  assert.equal(res.statusCode, 200);
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== 'view' || !data) continue;
        const view = JSON.parse(data) as AppView;
        for (const phase of view.state?.operation?.phases ?? []) {
          const analysis = (phase.data as { analysis?: { verdict: string; measurements?: LiveMeasurement[] } } | undefined)?.analysis;
          if (analysis?.measurements) out.push({ at: Date.now(), phase: phase.name, status: phase.status, verdict: analysis.verdict, measurements: analysis.measurements });
        }
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

test('analysis measurements reach the dashboard stream as they are taken, before the monitor phase ends', { timeout: 90_000 }, async () => {
  const ws = await AnalysisWorkspace.create({ v1: {}, v2: {} }, baseConfig());
  const server = new DashboardServer({ catalog: new CachedCatalog([await ConfiguredApp.open(ws.configPath)], async () => []), listen: '127.0.0.1:0', viewIntervalMs: 250 });
  const stream = new AbortController();
  let load: LoadGenerator | null = null;
  try {
    assert.equal((await deploy(await ws.deps(), 'v1', { yes: true })).outcome, 'promoted');
    await server.start();
    const sightings: Sighting[] = [];
    const watching = watchAnalysis(server, await signIn(server), 'analysis-scenario', stream.signal, sightings);
    load = new LoadGenerator({ url: ws.mainUrl, model: 'closed', connections: 2, durationMs: 60_000, path: '/api' }).start();

    // An 8 s bake window with a reading every second: 9 readings over the phase.
    const result = await deploy(await ws.deps(baseConfig({ monitor: '8s' }) + POST_ANALYSIS), 'v2', { yes: true });
    assert.equal(result.outcome, 'promoted', result.message);
    const monitor = result.phases.find((p) => p.name === 'monitor')!;
    const monitorEnd = Date.parse(monitor.startedAt) + monitor.durationMs;

    const live = sightings.filter((s) => s.phase === 'monitor' && s.status === 'running' && s.at < monitorEnd);
    assert.ok(live.length > 0, `the stream showed no measurement while the monitor phase ran (${sightings.length} views with analysis data in all)`);
    const counts = [...new Set(live.map((s) => s.measurements.length))];
    assert.ok(counts.length >= 3, `measurements arrived one by one as they were taken, not at once: counts seen while running ${JSON.stringify(counts)}`);
    assert.ok(live.every((s) => s.verdict === 'running'), 'a running analysis says so instead of a verdict');
    const first = live[0]!.measurements[0]!;
    assert.equal(first.metric, 'error-rate');
    assert.equal(first.index, 0);
    assert.equal(first.phase, 'successful');
    assert.equal(typeof first.value, 'number');
    assert.match(first.reason, /0\.01/, 'the reason names the threshold the value was judged against');
    assert.ok(first.finishedAt >= first.startedAt && first.finishedAt <= live[0]!.at, 'each measurement carries when it was taken');
    // The final record replaces the live one: a verdict and every reading.
    const final = (monitor.data as { analysis: { verdict: string; measurements: unknown[] } }).analysis;
    assert.equal(final.verdict, 'successful');
    assert.ok(final.measurements.length >= Math.max(...counts));
    stream.abort();
    await watching;
  } finally {
    stream.abort();
    if (load) await load.stop().catch(() => {});
    await server.close();
    await ws.close();
  }
});
