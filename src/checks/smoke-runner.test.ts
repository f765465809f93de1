import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeSmoke } from './config-schema.ts';
import { runSmokeTests } from './smoke-runner.ts';
import { isProcessAlive } from '../process/process-alive.ts';
import { json, startServer, type TestServer } from '../../test/support/check-test-server.ts';

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

describe('smoke tests', () => {
  let dir: string;
  let app: TestServer;
  const spawned: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-smoke-'));
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts', 'smoke-test.sh'), [
      '#!/bin/sh',
      'echo "smoke against $CUTOVER_TARGET_URL"',
      `exec "${process.execPath}" -e 'fetch(process.env.CUTOVER_TARGET_URL + "/api/orders").then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1) })'`,
      '',
    ].join('\n'));
    chmodSync(join(dir, 'scripts', 'smoke-test.sh'), 0o755);
    app = await startServer((req, res) => {
      if (req.url === '/api/orders') json(res, 200, { orders: [] });
      else json(res, 500, { error: 'boom' });
    });
  });

  after(async () => {
    for (const pid of spawned) {
      if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function specs(entries: Array<{ run: string | string[]; timeout?: string }>) {
    return normalizeSmoke(entries, { baseDir: dir });
  }

  test('a relative script runs from the config directory against CUTOVER_TARGET_URL', async () => {
    const report = await runSmokeTests(specs([{ run: './scripts/smoke-test.sh' }]), { targetUrl: app.url });
    assert.equal(report.passed, true, report.summary);
    assert.equal(report.results[0].exitCode, 0);
    assert.match(report.results[0].output, new RegExp(`smoke against ${app.url}\\n200 \\{"orders":\\[\\]\\}`));
    assert.match(report.summary, /^1 smoke command passed in \d+(ms|\.\d+s|s)$/);
    assert.equal(app.requests.at(-1)!.url, '/api/orders');
  });

  test('a failing command fails the run, says why, and later commands do not run', async () => {
    const marker = join(dir, 'third-ran');
    const report = await runSmokeTests(specs([
      { run: 'echo first' },
      { run: 'echo "GET /api/orders -> 500" >&2; exit 4' },
      { run: `touch ${marker}` },
    ]), { targetUrl: app.url });
    assert.equal(report.passed, false);
    assert.equal(report.results.length, 2);
    assert.equal(report.results[1].exitCode, 4);
    assert.equal(existsSync(marker), false);
    assert.match(report.summary,
      /^smoke test failed: echo "GET \/api\/orders -> 500" >&2; exit 4 exited with code 4 after \d+ms \(last output: GET \/api\/orders -> 500\); 1 not run$/);
  });

  test('a timeout kills the whole process group, background children included', async () => {
    const pidFile = join(dir, 'timeout.pid');
    const started = performance.now();
    const report = await runSmokeTests(
      specs([{ run: `sleep 30 & echo $! > ${pidFile}; echo started; wait`, timeout: '300ms' }]),
      { targetUrl: app.url, killGraceMs: 1_000 },
    );
    const orphan = readPid(pidFile);
    spawned.push(orphan);
    assert.equal(report.passed, false);
    assert.equal(report.results[0].timedOut, true);
    assert.equal(report.results[0].signal, 'SIGTERM');
    assert.equal(report.results[0].output, 'started\n');
    assert.ok(performance.now() - started < 2_000);
    assert.equal(isProcessAlive(orphan), false, `background sleep ${orphan} survived the timeout`);
    assert.match(report.summary, /timed out after 300ms; its process group was killed/);
  });

  test('a command that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const report = await runSmokeTests(
      specs([{ run: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait`, timeout: '200ms' }]),
      { targetUrl: app.url, killGraceMs: 300 },
    );
    const orphan = readPid(pidFile);
    spawned.push(orphan);
    assert.equal(report.results[0].timedOut, true);
    assert.equal(report.results[0].signal, 'SIGKILL');
    assert.equal(isProcessAlive(orphan), false);
  });

  test('processes a passing command leaves behind are ended', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const report = await runSmokeTests(
      specs([{ run: `sleep 30 & echo $! > ${pidFile}; exit 0` }]),
      { targetUrl: app.url, killGraceMs: 1_000 },
    );
    const orphan = readPid(pidFile);
    spawned.push(orphan);
    assert.equal(report.passed, true);
    assert.equal(isProcessAlive(orphan), false);
  });

  test('output is capped to its tail and streamed live', async () => {
    const seen: string[] = [];
    const report = await runSmokeTests(
      specs([{ run: [process.execPath, '-e', 'for (let i = 0; i < 2000; i++) console.log("line " + i)'] }]),
      { targetUrl: app.url, outputLimitBytes: 1024, onOutput: (text) => seen.push(text) },
    );
    const output = report.results[0].output;
    assert.ok(Buffer.byteLength(output) < 1024 + 64, `kept ${Buffer.byteLength(output)} bytes`);
    assert.match(output, /^\[… \d+ earlier bytes not kept\]\nline \d+\n/);
    assert.ok(output.endsWith('line 1999\n'));
    assert.equal(seen.join('').split('\n').length - 1, 2000, 'onOutput saw every line');
  });

  test('the version goes in CUTOVER_VERSION, never into shell strings; argv gets ${version}', async () => {
    const marker = join(dir, 'injected');
    const version = `1.2.3; touch ${marker}`;
    const report = await runSmokeTests(specs([
      { run: 'echo "v=$CUTOVER_VERSION url=$CUTOVER_TARGET_URL" ${version}' },
      { run: [process.execPath, '-e', 'console.log("argv=" + process.argv[1])', 'v${version}'] },
    ]), { targetUrl: app.url, version, color: 'green' });
    assert.equal(report.passed, true, report.summary);
    assert.equal(existsSync(marker), false, 'the version string was executed');
    assert.equal(report.results[0].output, `v=${version} url=${app.url}\n`);
    assert.equal(report.results[1].output, `argv=v${version}\n`);
  });

  test('a missing script and an abort are reported, not thrown', async () => {
    const missing = await runSmokeTests(specs([{ run: ['./scripts/nope.sh'] }]), { targetUrl: app.url });
    assert.equal(missing.passed, false);
    assert.equal(missing.results[0].exitCode, null);
    assert.match(missing.summary, /could not start: .*\/scripts\/nope\.sh not found/);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const stopped = await runSmokeTests(specs([{ run: 'sleep 30' }]), {
      targetUrl: app.url, signal: controller.signal, killGraceMs: 500,
    });
    assert.equal(stopped.passed, false);
    assert.match(stopped.summary, /^smoke tests stopped: sleep 30 was stopped after \d+ms$/);
  });

  test('no smoke commands pass trivially', async () => {
    const report = await runSmokeTests([], { targetUrl: app.url });
    assert.deepEqual(report, { passed: true, results: [], summary: 'no smoke commands configured' });
  });
});
