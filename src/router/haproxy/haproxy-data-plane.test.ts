import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { startTestBackend } from '../../../test/support/test-backend.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';

async function get(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { headers });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

test('haproxy engine: switch by one map commit, proof counters, preview, maintenance, drain ends in 504', { timeout: 60_000, skip: haproxySkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hx-'));
  const blue = await startTestBackend('blue');
  const green = await startTestBackend('green');
  const plane = await HaproxyDataPlane.start({
    engine: 'haproxy', workDir: dir, drainTimeoutMs: 800,
    listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 },
  });
  try {
    assert.equal((await get(plane.address.main)).status, 503, 'nothing is live yet');
    await plane.setUpstreams('blue', [blue.url]);
    await plane.setUpstreams('green', [green.url]);
    await plane.switchTo('blue');
    await plane.setPreview('green');
    assert.equal((await get(plane.address.main)).headers['x-cutover-color'], 'blue');
    assert.equal((await get(plane.address.preview!)).headers['x-cutover-color'], 'green');
    assert.equal((await get(plane.address.main, { 'x-cutover-probe': '1' })).headers['x-cutover-served-by'], 'blue');

    // A slow request in flight on blue, then the switch: it drains past the timeout and gets 504.
    const slow = get(`${plane.address.main}/slow?ms=5000`);
    await new Promise((r) => setTimeout(r, 200));
    const report = await plane.switchTo('green');
    assert.equal(report.from, 'blue');
    const afterSwitch = await plane.traffic();
    const blueAccepted = afterSwitch.blue.main.requests + afterSwitch.blue.main.inFlight;
    assert.equal(blueAccepted, report.acceptedBefore, 'blue accepted nothing after the swap');
    for (let i = 0; i < 20; i++) assert.equal((await get(plane.address.main)).headers['x-cutover-color'], 'green');
    const later = await plane.traffic();
    assert.equal(later.blue.main.requests + later.blue.main.inFlight, report.acceptedBefore, 'HAProxy counted no new request on blue');
    const drained = await report.drained;
    assert.deepEqual({ completed: drained.completed, timedOut: drained.timedOut }, { completed: 0, timedOut: 1 });
    assert.equal((await slow).status, 504, 'left after drainTimeout: 504');

    await plane.setMaintenance({ on: true, message: 'back <soon>', retryAfterSec: 7 });
    const m = await get(plane.address.main);
    assert.equal(m.status, 503);
    assert.equal(m.headers['retry-after'], '7');
    assert.match(m.body, /back &lt;soon&gt;/);
    assert.equal((await get(plane.address.preview!)).status, 200, 'preview keeps working in maintenance');
    await plane.setMaintenance({ on: false });
    assert.equal((await get(plane.address.main)).status, 200);

    const text = await plane.metricsText();
    assert.match(text, /cutover_router_requests_total\{color="green",listener="main",class="2xx"\} [1-9]/);
    assert.match(text, /cutover_router_live_color_info\{color="green"\} 1/);
  } finally {
    await plane.close();
    await blue.close();
    await green.close();
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
});

test('haproxy engine: latency histogram per color from the request log', { timeout: 30_000, skip: haproxySkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hx-'));
  const blue = await startTestBackend('blue');
  const plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, drainTimeoutMs: 500, listen: { host: '127.0.0.1', port: 0 } });
  try {
    await plane.setUpstreams('blue', [blue.url]);
    await plane.switchTo('blue');
    for (let i = 0; i < 5; i++) await get(`${plane.address.main}/slow?ms=300`);
    await new Promise((r) => setTimeout(r, 100));
    const text = await plane.metricsText();
    // Each took at least 300 ms: none at or below 0.2 s, all five counted.
    assert.match(text, /cutover_router_request_duration_seconds_bucket\{color="blue",listener="main",le="0\.2"\} 0\n/);
    assert.match(text, /cutover_router_request_duration_seconds_bucket\{color="blue",listener="main",le="\+Inf"\} 5\n/);
  } finally {
    await plane.close();
    await blue.close();
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
});
