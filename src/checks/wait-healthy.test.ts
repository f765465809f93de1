import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOnce } from './health-round.ts';
import { json, startServer, type TestServer } from '../../test/support/check-test-server.ts';
import type { HealthPolicy, HealthRound, HttpCheckSpec } from './types.ts';
import { waitHealthy } from './wait-healthy.ts';
import { VirtualClock } from '../../test/support/virtual-clock.ts';

const ready: HttpCheckSpec = {
  kind: 'http', name: 'GET /health/ready', path: '/health/ready', method: 'GET', expectStatus: null,
  json: 'checks', maxLatencyMs: 2_000, timeoutMs: 2_000, headers: {},
};

function policy(overrides: Partial<HealthPolicy> = {}): HealthPolicy {
  return {
    checks: [ready, { kind: 'tcp', name: 'TCP connect', port: null, timeoutMs: 1_000 }],
    intervalMs: 20, successes: 3, timeoutMs: 5_000, ...overrides,
  };
}

/** A replica whose answers follow `script` (true = healthy), then stay at the last value. */
function scripted(script: boolean[]): Promise<TestServer> {
  let calls = 0;
  return startServer((_req, res) => {
    const healthy = script[Math.min(calls++, script.length - 1)];
    if (healthy) json(res, 200, { checks: [{ name: 'database', status: 'ok' }] });
    else json(res, 503, { checks: [{ name: 'database', status: 'down' }] });
  });
}

async function withServers<T>(servers: TestServer[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

/** Virtual time moves only between rounds: the pause and the deadline both sleeping, no check in flight. */
const betweenRounds = (clock: VirtualClock) => () => clock.pending >= 2;

describe('waitHealthy', () => {
  test('healthy after the required consecutive rounds on every replica', async () => {
    const a = await scripted([true]);
    const b = await scripted([true]);
    const targets = [{ name: 'green-0', url: a.url }, { name: 'green-1', url: b.url }];
    const report = await withServers([a, b], () => waitHealthy(targets, policy({ intervalMs: 100 })));
    assert.equal(report.healthy, true);
    assert.equal(report.rounds, 3);
    assert.equal(report.consecutive, 3);
    assert.equal(report.last.length, 4);
    assert.ok(report.durationMs >= 200, `3 rounds 100ms apart take at least 200ms, took ${report.durationMs}`);
    assert.match(report.summary, /^3\/3 consecutive rounds healthy on 2 replicas \(4 checks each\) in \d+ms$/);
    assert.equal(a.requests.length, 3);
  });

  test('a flapping replica resets the count', async () => {
    const flappy = await scripted([true, true, false, true, true, true]);
    const rounds: HealthRound[] = [];
    const report = await withServers([flappy], () => waitHealthy(
      [{ name: 'green-0', url: flappy.url }], policy(), { onRound: (round) => rounds.push(round) },
    ));
    assert.equal(report.healthy, true);
    assert.equal(report.rounds, 6);
    assert.deepEqual(rounds.map((round) => round.consecutive), [1, 2, 0, 1, 2, 3]);
    const failed = rounds[2].results.find((result) => !result.ok)!;
    assert.match(failed.reason!, /^503 after \d+ms \(expected 2xx\); checks\[0\] \(database\) reported "down"$/);
  });

  test('one bad replica makes the color unhealthy at the timeout, and the summary names it', async () => {
    const good = await scripted([true]);
    const bad = await scripted([false]);
    const targets = [{ name: 'green-0', url: good.url }, { name: 'green-1', url: bad.url }];
    const started = performance.now();
    const report = await withServers([good, bad], () => waitHealthy(targets, policy({ timeoutMs: 300 })));
    const waited = performance.now() - started;
    assert.equal(report.healthy, false);
    assert.equal(report.consecutive, 0);
    assert.ok(report.rounds >= 2);
    assert.ok(waited >= 290 && waited < 1_500, `waited ${waited}ms`);
    assert.equal(
      report.summary,
      `unhealthy after 300ms: GET /health/ready on green-1 (${bad.url}): ${report.last.find((r) => !r.ok)!.reason}`,
    );
    assert.match(report.summary, /green-1 .*: 503 after \d+ms/);
    assert.doesNotMatch(report.summary, /green-0/);
  });

  test('the overall timeout cuts short a round that is still waiting', async () => {
    const hanging = await startServer(() => {});
    const slowCheck: HttpCheckSpec = { ...ready, timeoutMs: 10_000 };
    const started = performance.now();
    const report = await withServers([hanging], () => waitHealthy(
      [{ name: 'blue-0', url: hanging.url }], policy({ checks: [slowCheck], timeoutMs: 250 }),
    ));
    const waited = performance.now() - started;
    assert.equal(report.healthy, false);
    assert.ok(waited < 1_500, `returned after ${waited}ms, not after the 10s check timeout`);
    assert.match(report.summary, /^unhealthy after 250ms: GET \/health\/ready on blue-0/);
  });

  test('the caller can stop it', async () => {
    const bad = await scripted([false]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const report = await withServers([bad], () => waitHealthy(
      [{ name: 'blue-0', url: bad.url }], policy(), { signal: controller.signal },
    ));
    assert.equal(report.healthy, false);
    assert.ok(report.durationMs < 1_000);
    assert.match(report.summary, /^health checks stopped after \d+ms: /);
  });

  test('rounds and the timeout run on the injected clock: a 10-minute budget passes in virtual time', { timeout: 10_000 }, async () => {
    const bad = await scripted([false]);
    const clock = new VirtualClock();
    const report = await withServers([bad], () => clock.run(waitHealthy(
      [{ name: 'blue-0', url: bad.url }], policy({ intervalMs: 30_000, timeoutMs: 600_000 }), { clock },
    ), betweenRounds(clock)));
    assert.equal(report.healthy, false);
    assert.equal(report.durationMs, 600_000, 'exactly the budget, on the clock');
    // A round at 0, 30 s, ... 570 s; the one due at 600 s meets the deadline.
    assert.equal(report.rounds, 20);
    assert.equal(bad.requests.length, 20);
    assert.match(report.summary, /^unhealthy after 10m: GET \/health\/ready on blue-0/);
  });

  test('healthy rounds are paced by the injected clock', { timeout: 10_000 }, async () => {
    const good = await scripted([true]);
    const clock = new VirtualClock();
    const report = await withServers([good], () => clock.run(waitHealthy(
      [{ name: 'blue-0', url: good.url }], policy({ intervalMs: 60_000, timeoutMs: 3_600_000 }), { clock },
    ), betweenRounds(clock)));
    assert.equal(report.healthy, true);
    assert.equal(report.durationMs, 120_000, 'three rounds a minute apart');
  });

  test('a wall-clock step during the rounds changes neither the pacing nor the duration', { timeout: 10_000 }, async () => {
    // NTP stepping the wall clock back an hour mid-round would, on Date.now, make the pause an
    // hour long and the duration negative: rounds are timed on the monotonic reading.
    const clock = new VirtualClock();
    let calls = 0;
    const good = await startServer((_req, res) => {
      if (calls++ === 1) clock.stepWallClock(-3_600_000);
      json(res, 200, { checks: [{ name: 'database', status: 'ok' }] });
    });
    const report = await withServers([good], () => clock.run(waitHealthy(
      [{ name: 'blue-0', url: good.url }], policy({ intervalMs: 60_000, timeoutMs: 3_600_000 }), { clock },
    ), betweenRounds(clock)));
    assert.equal(report.healthy, true);
    assert.equal(report.durationMs, 120_000, 'three rounds a minute apart, the step notwithstanding');
    assert.match(report.summary, / in 2m$/);
  });

  test('no targets is not healthy', async () => {
    const report = await waitHealthy([], policy());
    assert.equal(report.healthy, false);
    assert.equal(report.summary, 'not checked: no targets to check');
  });

  test('checkOnce runs every check on every target once', async () => {
    const a = await scripted([true]);
    const b = await scripted([false]);
    const results = await withServers([a, b], () => checkOnce(
      [{ name: 'blue-0', url: a.url }, { name: 'blue-1', url: b.url }], policy(),
    ));
    assert.deepEqual(results.map((r) => `${r.check}@${r.target}:${r.ok}`), [
      'GET /health/ready@blue-0:true', 'TCP connect@blue-0:true',
      'GET /health/ready@blue-1:false', 'TCP connect@blue-1:true',
    ]);
  });
});
