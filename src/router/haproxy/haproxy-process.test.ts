import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CutoverError } from '../../core/errors.ts';
import { findHaproxy, HaproxyMaster } from './haproxy-process.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';

test('haproxy engine: a config HAProxy refuses is reported with HAProxy\'s own reason and line', { skip: haproxySkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hx-check-'));
  try {
    const master = new HaproxyMaster(findHaproxy(), dir);
    writeFileSync(master.configFile, 'global\n  nbthread 1\ndefaults\n  mode http\nfrontend main\n  bind 127.0.0.1:8080\n  http-request no-such-action\n');
    const err = await master.check().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof CutoverError, 'check() throws a CutoverError');
    assert.equal(err.code, 'config');
    assert.match(err.message, /haproxy\.cfg:7/, 'names the line');
    assert.match(err.message, /'http-request' expects .* but got 'no-such-action'/, 'says what HAProxy expected');
    assert.doesNotMatch(err.message, /\[NOTICE\]|\[ALERT\]/, 'without HAProxy\'s log prefixes');
    assert.ok(err.message.length < 1_000, `short enough to read (${err.message.length} chars)`);

    writeFileSync(master.configFile, 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend main\n  bind 127.0.0.1:8080\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n');
    await master.check();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
