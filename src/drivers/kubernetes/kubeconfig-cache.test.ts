// The parsed kubeconfig is kept between runs (so `status` need not load the YAML parser); what
// a user notices is that a changed kubeconfig is always read anew, and that the cache copies no
// more credentials than the context in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { userCacheFile } from '../../config/cache-entry.ts';
import { traceTypeScript } from '../../../test/support/module-trace.ts';
import { loadClusterAccess } from './cluster-access.ts';

function kubeconfig(token: string, server = 'https://127.0.0.1:6443') {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [{ name: 'c', cluster: { server } }, { name: 'other', cluster: { server: 'https://10.0.0.9:443' } }],
    users: [{ name: 'u', user: { token } }, { name: 'other', user: { token: 'other-users-token' } }],
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u' } }, { name: 'second', context: { cluster: 'other', user: 'other' } }],
  });
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-kubeconfig-cache-'));
  const file = join(dir, 'kubeconfig');
  const env = { KUBECONFIG: file, XDG_CACHE_HOME: join(dir, 'cache') };
  return { dir, file, env, cached: userCacheFile('kubeconfig-cache', file, env)!, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function seen(env: NodeJS.ProcessEnv, context?: string) {
  const found = await loadClusterAccess(context, env, { cache: true });
  if ('unsupported' in found) return found;
  return { server: found.access.server, authorization: found.access.headers().authorization };
}

test('a changed kubeconfig is read anew, even at the same size; the context asked for is part of the key', async () => {
  const ws = workspace();
  try {
    writeFileSync(ws.file, kubeconfig('token-aaa'));
    assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.1:6443', authorization: 'Bearer token-aaa' });
    assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.1:6443', authorization: 'Bearer token-aaa' }, 'from the cache');
    // A rotated token of the same length: a key of size and time alone could miss it.
    writeFileSync(ws.file, kubeconfig('token-bbb'));
    assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.1:6443', authorization: 'Bearer token-bbb' });
    writeFileSync(ws.file, kubeconfig('token-bbb', 'https://127.0.0.2:6443'));
    assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.2:6443', authorization: 'Bearer token-bbb' });
    assert.deepEqual(await seen(ws.env, 'second'), { server: 'https://10.0.0.9:443', authorization: 'Bearer other-users-token' });
    assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.2:6443', authorization: 'Bearer token-bbb' });
  } finally {
    ws.cleanup();
  }
});

test("the cache keeps only the context in use, readable by its owner alone; a damaged entry is ignored", async () => {
  const ws = workspace();
  try {
    writeFileSync(ws.file, kubeconfig('token-aaa'));
    await seen(ws.env);
    const text = readFileSync(ws.cached, 'utf8');
    assert.ok(text.includes('token-aaa'));
    assert.ok(!text.includes('other-users-token'), 'the other user is not copied');
    assert.ok(!text.includes('10.0.0.9'), 'the other cluster is not copied');
    assert.equal(statSync(ws.cached).mode & 0o777, 0o600);
    assert.equal(statSync(join(ws.cached, '..')).mode & 0o777, 0o700);
    for (const damage of ['', '{"key": 3}', '{"key": "x", "doc": {}}', 'not json']) {
      writeFileSync(ws.cached, damage);
      assert.deepEqual(await seen(ws.env), { server: 'https://127.0.0.1:6443', authorization: 'Bearer token-aaa' }, JSON.stringify(damage));
    }
  } finally {
    ws.cleanup();
  }
});

test('a kubeconfig read from the cache does not load the YAML parser', async () => {
  const ws = workspace();
  try {
    writeFileSync(ws.file, kubeconfig('token-aaa'));
    const read = [
      `const { loadClusterAccess } = await import(${JSON.stringify(new URL('./cluster-access.ts', import.meta.url).href)});`,
      `const found = await loadClusterAccess(undefined, ${JSON.stringify(ws.env)}, { cache: true });`,
      'console.log(found.access.headers().authorization);',
    ];
    const yaml = (modules: string[]) => modules.filter((url) => /\/node_modules\/yaml\//.test(url));
    const first = await traceTypeScript(read);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'Bearer token-aaa');
    assert.notDeepEqual(yaml(first.modules), [], 'the first read parses the YAML');
    const second = await traceTypeScript(read);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'Bearer token-aaa');
    assert.deepEqual(yaml(second.modules), []);
  } finally {
    ws.cleanup();
  }
});
