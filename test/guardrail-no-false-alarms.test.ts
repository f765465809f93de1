// No false alarms: the builtin guardrails (on with nothing configured) must never roll back a
// healthy release, even under load on a busy 2-core machine. Twenty healthy deploys in a row,
// alternating colors, under the same real load as the guardrail scenarios.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadGenerator } from '../src/loadgen/load-generator.ts';
import { explain } from './support/cli-runner.ts';
import { ZooWorkspace, zooConfig } from './support/zoo-workspace.ts';

const DEPLOYS = 20;

describe('no false alarms from the builtin guardrails', () => {
  const versions = Array.from({ length: DEPLOYS + 1 }, (_, i) => `v${i}-good`);
  let ws: ZooWorkspace;
  let main: string;
  before(async () => {
    // Short windows keep the suite in seconds per deploy; the signals and their defaults are the real ones.
    ws = ZooWorkspace.create(versions, zooConfig({ monitor: '3s', stableFor: '1s' }));
    main = await ws.up();
  });
  after(() => ws.dispose());

  test(`${DEPLOYS} healthy deploys in a row under load: 0 rollbacks, every bake window ran to its end`, { timeout: 600_000 }, async (t) => {
    const first = await ws.cli(['deploy', versions[0]!]);
    assert.equal(first.code, 0, explain(first));
    const traffic = new LoadGenerator({ url: main, model: 'closed', connections: 4, durationMs: 600_000, path: '/api/items', slowPath: '/api/checkout', slowFraction: 0.3 }).start();
    const outcomes: string[] = [];
    try {
      for (const version of versions.slice(1)) {
        const r = await ws.cli(['deploy', version]);
        outcomes.push(r.json?.outcome ?? `exit ${r.code}`);
        assert.equal(r.code, 0, `deploy ${version} (after ${outcomes.length - 1} promoted): ${explain(r)}`);
        const monitor = r.json.phases.find((p: { name: string }) => p.name === 'monitor');
        assert.equal(monitor.status, 'succeeded', monitor.detail);
        assert.equal(monitor.data.verdict.signal, null);
        assert.ok(monitor.durationMs >= 3_000, `the bake window of ${version} ended after ${monitor.durationMs}ms`);
      }
    } finally {
      await traffic.stop();
    }
    const records = traffic.records();
    const failures = records.filter((r) => r.error !== null || r.status < 200 || r.status >= 300).length;
    t.diagnostic(`${DEPLOYS} deploys: ${outcomes.filter((o) => o === 'promoted').length} promoted, ${records.length} requests, ${failures} failed`);
    assert.deepEqual(outcomes, Array(DEPLOYS).fill('promoted'));
    assert.equal(failures, 0, 'healthy switches drop nothing');
  });
});

describe('no false alarm from an app with a rare slow path', () => {
  const versions = ['v0-good', 'v1-good', 'v2-good', 'v3-good'];
  let ws: ZooWorkspace;
  let main: string;
  before(async () => {
    ws = ZooWorkspace.create(versions, zooConfig({ monitor: '10s', stableFor: '1s' }));
    main = await ws.up();
  });
  after(() => ws.dispose());

  test('healthy releases whose app answers 1% of requests in 1 s (as the demo\'s load does) are promoted: a 1 s request the old color also served is not stuck', { timeout: 300_000 }, async (t) => {
    // Given v0 live on blue, under load of which 1% asks for a path that takes 1 s
    const first = await ws.cli(['deploy', versions[0]!]);
    assert.equal(first.code, 0, explain(first));
    const traffic = new LoadGenerator({ url: main, model: 'closed', connections: 8, durationMs: 300_000, path: '/api/items', slowPath: '/api/slow?ms=1000', slowFraction: 0.01 }).start();
    await new Promise((r) => setTimeout(r, 2_000));
    try {
      // When healthy releases of the same app are deployed, each with a 10 s bake window
      for (const version of versions.slice(1)) {
        const r = await ws.cli(['deploy', version]);
        // Then each is promoted, its bake window ran to its end with no verdict
        assert.equal(r.code, 0, `deploy ${version}: ${explain(r)}`);
        const monitor = r.json.phases.find((p: { name: string }) => p.name === 'monitor');
        assert.equal(monitor.data.verdict.signal, null, monitor.detail);
        assert.ok(monitor.durationMs >= 10_000, `the bake window of ${version} ended after ${monitor.durationMs}ms`);
      }
    } finally {
      await traffic.stop();
    }
    const records = traffic.records();
    const slow = records.filter((r) => r.end - r.start >= 1_000).length;
    t.diagnostic(`${records.length} requests, ${slow} of them took 1 s or more`);
    assert.ok(slow > 0, 'the load did take the slow path');
  });
});
