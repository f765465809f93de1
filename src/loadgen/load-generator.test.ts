import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isCutoverError } from '../core/errors.ts';
import { startTestBackend, type TestBackend } from '../../test/support/test-backend.ts';
import { LoadGenerator, runLoad, type LoadReport } from './load-generator.ts';
import { percentile } from './load-recorder.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('load generator', () => {
  let backend: TestBackend;

  before(async () => {
    backend = await startTestBackend('blue', 'v7');
  });

  after(async () => {
    await backend.close();
  });

  test('refuses targets that are not on loopback', () => {
    for (const url of ['http://example.com/', 'http://10.0.0.1:8080', 'http://[::2]:80', 'https://127.0.0.1/']) {
      assert.throws(() => new LoadGenerator({ model: 'closed', url, connections: 1, durationMs: 100 }), (e) => isCutoverError(e) && e.code === 'usage', url);
    }
    assert.throws(() => new LoadGenerator({ model: 'closed', url: backend.url, connections: 0, durationMs: 100 }), /connections/);
    assert.throws(() => new LoadGenerator({ model: 'open', url: backend.url, ratePerSec: 10, durationMs: 100, slowFraction: 2 }), /slowFraction/);
  });

  test('closed model: N keep-alive loops, slow and new-connection mixes, colors and versions recorded', async () => {
    const before = backend.arrivals.length;
    const report = await runLoad({
      model: 'closed',
      url: backend.url,
      connections: 4,
      durationMs: 600,
      slowFraction: 0.1,
      slowPath: '/slow?ms=50',
      newConnectionFraction: 0.1,
    });
    const arrivals = backend.arrivals.slice(before);
    assert.equal(report.total.requests, arrivals.length);
    assert.ok(report.total.requests > 50, `only ${report.total.requests} requests`);
    assert.equal(report.total.ok, report.total.requests);
    assert.deepEqual(report.total.byColor, { blue: report.total.requests });
    assert.deepEqual(report.total.byVersion, { v7: report.total.requests });
    const slow = arrivals.filter((a) => a.path.startsWith('/slow')).length / arrivals.length;
    assert.ok(slow > 0.03 && slow < 0.25, `slow share ${slow}`);
    const closes = arrivals.filter((a) => a.headers['connection'] === 'close').length;
    assert.ok(closes > 0, 'no request asked for a new connection');
    assert.ok(report.total.maxMs! >= 50, 'slow requests should show in the latency');
  });

  test('open model: schedules by the clock, not by completions', async () => {
    // 100 req/s for 1 s against a path that takes 300 ms: a closed loop of 1 would manage ~3.
    const started = performance.now();
    const report = await runLoad({ model: 'open', url: backend.url, ratePerSec: 100, durationMs: 1000, path: '/slow?ms=300' });
    const elapsed = performance.now() - started;
    assert.ok(report.total.requests >= 95 && report.total.requests <= 100, `${report.total.requests} requests`);
    assert.equal(report.total.ok, report.total.requests);
    assert.ok(report.total.p50Ms! >= 300 && report.total.p50Ms! < 600, `p50 ${report.total.p50Ms}`);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(report.total.sendLagP99Ms! < 200, `send lag p99 ${report.total.sendLagP99Ms} ms`);
  });

  test('open model with 1 MiB POST bodies', async () => {
    const before = backend.arrivals.length;
    const report = await runLoad({ model: 'open', url: backend.url, ratePerSec: 40, durationMs: 500, postFraction: 1 });
    const posts = backend.arrivals.slice(before).filter((a) => a.method === 'POST');
    assert.equal(posts.length, report.total.requests);
    assert.ok(posts.every((a) => a.headers['content-length'] === String(1024 * 1024)));
    assert.equal(report.total.ok, report.total.requests);
  });

  test('mark() splits results into windows; stop() ends early; maxRequests bounds the run', async () => {
    const gen = new LoadGenerator({ model: 'closed', url: backend.url, connections: 2, durationMs: 10_000 }).start();
    await sleep(100);
    gen.mark('phase-2');
    await sleep(100);
    const started = performance.now();
    const report = await gen.stop();
    assert.ok(performance.now() - started < 500, 'stop() should not wait for durationMs');
    assert.deepEqual(report.windows.map((w) => w.label), ['start', 'phase-2']);
    assert.ok(report.windows.every((w) => w.requests > 5), JSON.stringify(report.windows.map((w) => w.requests)));
    assert.equal(report.windows[0]!.requests + report.windows[1]!.requests, report.total.requests);
    const records = gen.records();
    const markAt = report.windows[1]!.startedAt;
    assert.ok(records.filter((r) => r.window === 'phase-2').every((r) => r.start >= markAt));

    const bounded = await runLoad({ model: 'closed', url: backend.url, connections: 3, durationMs: 10_000, maxRequests: 25 });
    assert.equal(bounded.total.requests, 25);
  });

  test('counts socket errors when the target is down', async () => {
    const gone = await startTestBackend('blue');
    await gone.close();
    const report = await runLoad({ model: 'closed', url: gone.url, connections: 2, durationMs: 5000, maxRequests: 10 });
    assert.equal(report.total.requests, 10);
    assert.equal(report.total.socketErrors, 10);
    assert.deepEqual(report.total.byError, { ECONNREFUSED: 10 });
    assert.equal(report.total.p99Ms, null);
  });

  test('runs in a separate process and reports JSON, with marks from stdin', async () => {
    const cli = fileURLToPath(new URL('./loadgen-cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--url', backend.url, '--model', 'open', '--rate', '200', '--duration-ms', '800', '--marks-from-stdin'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    await sleep(600);
    child.stdin.write('mark late\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const report = JSON.parse(out) as LoadReport;
    assert.equal(report.model, 'open');
    assert.deepEqual(report.windows.map((w) => w.label), ['start', 'late']);
    assert.ok(report.total.requests > 100 && report.total.requests <= 160, `${report.total.requests} requests`);
  });
});

test('percentile uses nearest rank', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 50), null);
});
