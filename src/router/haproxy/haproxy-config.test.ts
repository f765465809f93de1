import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyConfig, type HaproxyConfigInput } from './haproxy-config.ts';
import { drainCutLua } from './drain-cut.ts';
import { findHaproxy } from './haproxy-process.ts';
import { joinHeaderLinesLua } from './join-header-lines.ts';
import { pauseHoldLua } from './pause-hold.ts';
import { newProbeToken } from '../probe-token.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';

/**
 * HAProxy 2.6 warns about the drain-cut rules' `res.len` ("L6 sample fetches ignored on HTTP
 * proxies"), a check written before HTX: in an HTTP proxy the fetch is evaluated, on the
 * buffered response (drain-cut.ts says how that was checked). Every other warning is ours.
 */
const KNOWN_WARNING = /L6 sample fetches ignored on HTTP proxies/;

/** Every option that adds rules: a preview listener, trusted proxies, limits, the latency log, a split's names. */
function fullInput(dir: string): HaproxyConfigInput {
  const mapFile = join(dir, 'routing.map');
  return {
    dir, mapFile, runtimeSocket: join(dir, 'runtime.sock'),
    main: { host: '127.0.0.1', port: 18080 }, preview: { host: '::1', port: 18081 },
    drainTimeoutMs: 5_000, upstreamHeadersTimeoutMs: 30_000,
    trustedProxies: ['10.0.0.0/8', 'fd00::/8'], maxRequestBodyBytes: 1_000_000, maxConnections: 500, logPort: 19_999,
    servers: { blue: new Map([[1, '127.0.0.1:9001'], [2, '127.0.0.1:9002']]), green: new Map([[1, '127.0.0.1:9101']]) },
    split: { stickyHeader: 'x-user', stickyCookie: 'cutover_split', cohortHeader: 'x-cohort', cohortCookie: 'cohort' },
    probeToken: newProbeToken(),
    pauseLuaFile: join(dir, 'pause.lua'), drainCutLuaFile: join(dir, 'drain-cut.lua'), joinLinesLuaFile: join(dir, 'join.lua'),
    longLivedRelaySocket: join(dir, 'long-lived.sock'),
    relaySockets: { main: join(dir, 'relay-main.sock'), preview: join(dir, 'relay-preview.sock') },
  };
}

test('the generated config passes haproxy -c with no warning of ours (a rule HAProxy would run out of the written order, for one)', { skip: haproxySkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-haproxy-config-'));
  try {
    const input = fullInput(dir);
    writeFileSync(input.mapFile, '');
    writeFileSync(input.pauseLuaFile, pauseHoldLua(input.mapFile, 30_000));
    writeFileSync(input.drainCutLuaFile, drainCutLua(input.drainTimeoutMs));
    writeFileSync(input.joinLinesLuaFile, joinHeaderLinesLua());
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(input));
    // haproxy -c exits 0 when there are only warnings, and prints them with its notices.
    const checked = spawnSync(findHaproxy(), ['-c', '-f', file], { encoding: 'utf8' });
    const findings = `${checked.stdout}${checked.stderr}`.split('\n').filter((line) => /\[(WARNING|ALERT)\]/.test(line));
    assert.equal(checked.status, 0, findings.join('\n'));
    assert.deepEqual(findings.filter((line) => !KNOWN_WARNING.test(line)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
