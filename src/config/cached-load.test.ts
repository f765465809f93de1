import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONFIG_CACHE_FILE, loadConfigCached, survivesJson, userCachePath } from './cached-load.ts';
import { loadConfig } from './load.ts';

const CONFIG = `app: cache-test
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
health:
  checks:
    - http: /health/ready
`;

function workspace(): { dir: string; config: string; cache: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-config-cache-'));
  const config = join(dir, 'cutover.yaml');
  writeFileSync(config, CONFIG);
  return { dir, config, cache: join(dir, '.cutover', CONFIG_CACHE_FILE), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('validated config cache', () => {
  test('a cached load gives what a full load gives, and a hit is served from the cache file', async () => {
    const ws = workspace();
    try {
      mkdirSync(join(ws.dir, '.cutover'), { mode: 0o700 });
      const first = await loadConfigCached(ws.config, { cache: true });
      assert.deepEqual(JSON.parse(JSON.stringify(first)), JSON.parse(JSON.stringify(loadConfig(ws.config))));
      assert.ok(existsSync(ws.cache), 'the validated config is kept');
      assert.equal(statSync(ws.cache).mode & 0o777, 0o600);
      // Given a cache entry whose key matches, the cached value is what comes back (no re-parse).
      const entry = JSON.parse(readFileSync(ws.cache, 'utf8'));
      entry.config.app = 'from-the-cache';
      writeFileSync(ws.cache, JSON.stringify(entry));
      assert.equal((await loadConfigCached(ws.config, { cache: true })).app, 'from-the-cache');
      // When the config text changes, the key changes: parsed again, and the cache replaced.
      writeFileSync(ws.config, CONFIG.replace('cache-test', 'edited'));
      assert.equal((await loadConfigCached(ws.config, { cache: true })).app, 'edited');
      assert.equal(JSON.parse(readFileSync(ws.cache, 'utf8')).config.app, 'edited');
    } finally {
      ws.cleanup();
    }
  });

  test('a damaged cache file is ignored, and a bad config is still refused by field path', async () => {
    const ws = workspace();
    try {
      mkdirSync(join(ws.dir, '.cutover'), { mode: 0o700 });
      writeFileSync(ws.cache, '{"key": "torn');
      assert.equal((await loadConfigCached(ws.config, { cache: true })).app, 'cache-test');
      writeFileSync(ws.config, CONFIG.replace('kind: local', 'kind: local\n  replicas: two'));
      await assert.rejects(loadConfigCached(ws.config, { cache: true }), /platform\.replicas/);
    } finally {
      ws.cleanup();
    }
  });

  test('nothing is written beside a config that never ran a daemon (no .cutover/)', async () => {
    const ws = workspace();
    try {
      await loadConfigCached(ws.config, { cache: true });
      assert.equal(existsSync(join(ws.dir, '.cutover')), false);
    } finally {
      ws.cleanup();
    }
  });

  test('a Kubernetes config is kept in the user cache directory, not beside the config', async () => {
    const ws = workspace();
    const cacheHome = mkdtempSync(join(tmpdir(), 'cutover-xdg-cache-'));
    try {
      writeFileSync(ws.config, 'app: shop\nplatform:\n  kind: kubernetes\n  namespace: prod\n  service: shop\n  deployment: deployment.yaml\n  image: registry.example/shop:${version}\nhealth:\n  checks:\n    - http: /health\n');
      const env = { HOME: ws.dir, XDG_CACHE_HOME: cacheHome };
      const first = await loadConfigCached(ws.config, { cache: true, env });
      assert.deepEqual(JSON.parse(JSON.stringify(first)), JSON.parse(JSON.stringify(loadConfig(ws.config))));
      assert.equal(existsSync(join(ws.dir, '.cutover')), false, 'nothing is written beside a Kubernetes config');
      const cached = userCachePath(ws.config, env)!;
      assert.ok(cached.startsWith(join(cacheHome, 'cutover', 'config-cache')), cached);
      assert.equal(statSync(cached).mode & 0o777, 0o600);
      assert.equal(statSync(dirname(cached)).mode & 0o777, 0o700);
      const entry = JSON.parse(readFileSync(cached, 'utf8'));
      entry.config.app = 'from-the-cache';
      writeFileSync(cached, JSON.stringify(entry));
      assert.equal((await loadConfigCached(ws.config, { cache: true, env })).app, 'from-the-cache');
      writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('namespace: prod', 'namespace: staging'));
      // An edit misses the cache: parsed again, and the cache file replaced.
      assert.equal((await loadConfigCached(ws.config, { cache: true, env })).app, 'shop');
      assert.equal(JSON.parse(readFileSync(cached, 'utf8')).config.platform.namespace, 'staging');
    } finally {
      ws.cleanup();
      rmSync(cacheHome, { recursive: true, force: true });
    }
  });

  test('survivesJson: only values JSON carries unchanged', () => {
    assert.equal(survivesJson({ a: 1, b: [1, 'x', { c: null }], d: undefined }), true);
    assert.equal(survivesJson({ a: Infinity }), false);
    assert.equal(survivesJson({ a: /x/ }), false);
    assert.equal(survivesJson([undefined]), false);
    assert.equal(survivesJson({ a: () => 1 }), false);
  });
});
