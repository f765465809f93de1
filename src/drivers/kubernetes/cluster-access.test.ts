// The read-only path's kubeconfig reading against the generated client's, on the same files:
// for every kubeconfig it accepts, it must reach the same server with the same TLS material and
// the same headers; the rest it must leave to the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { loadClusterAccess } from './cluster-access.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443/', ...cluster } }, { name: 'other', cluster: { server: 'https://10.0.0.9:443' } }],
    users: [{ name: 'u', user }, { name: 'other', user: { token: 'other-token' } }],
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u' } }, { name: 'second', context: { cluster: 'other', user: 'other' } }],
    ...extra,
  };
}

async function clientView(file: string, context?: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  const opts: { headers?: Record<string, string>; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
  await kc.applyToHTTPSOptions(opts as never);
  const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (opts && (opts as { auth?: string }).auth && !headers.authorization) headers.authorization = `Basic ${b64((opts as { auth: string }).auth)}`;
  return { server: kc.getCurrentCluster()!.server, ca: opts.ca?.toString(), cert: opts.cert?.toString(), key: opts.key?.toString(), rejectUnauthorized: opts.rejectUnauthorized !== false, servername: opts.servername, headers };
}

async function ourView(file: string, context?: string, env: NodeJS.ProcessEnv = {}) {
  const found = await loadClusterAccess(context, { KUBECONFIG: file, ...env }, { cache: Boolean(env.XDG_CACHE_HOME) });
  if ('unsupported' in found) return found;
  const a = found.access;
  return { server: a.server, ca: a.ca?.toString(), cert: a.cert?.toString(), key: a.key?.toString(), rejectUnauthorized: a.rejectUnauthorized, servername: a.servername, headers: a.headers() };
}

test('kubeconfigs that need no plugin are read as the generated client reads them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-kubeconfig-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
    writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
    writeFileSync(join(dir, 'token'), 'token-from-file');
    const cases: Array<{ name: string; doc: object; context?: string }> = [
      { name: 'token and inline CA', doc: kubeconfig({ 'certificate-authority-data': b64('INLINE CA') }, { token: 'abc' }) },
      { name: 'client certificate files, relative to the kubeconfig', doc: kubeconfig({ 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }) },
      { name: 'inline client certificate', doc: kubeconfig({ 'certificate-authority-data': b64('INLINE CA') }, { 'client-certificate-data': b64('INLINE CERT'), 'client-key-data': b64('INLINE KEY') }) },
      { name: 'a CA file wins over inline data', doc: kubeconfig({ 'certificate-authority': 'ca.crt', 'certificate-authority-data': b64('INLINE CA') }, { token: 'abc' }) },
      { name: 'insecure-skip-tls-verify and tls-server-name', doc: kubeconfig({ 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes.default' }, { token: 'abc' }) },
      { name: 'token-file', doc: kubeconfig({}, { 'token-file': join(dir, 'token') }) },
      { name: 'basic auth', doc: kubeconfig({}, { username: 'admin', password: 's3cret' }) },
      { name: 'impersonation', doc: kubeconfig({}, { token: 'abc', as: 'view-only' }) },
      { name: 'the context given, not the current one', doc: kubeconfig({}, { token: 'abc' }), context: 'second' },
    ];
    // Each read three ways: parsed, parsed into the kubeconfig cache, and read back from it.
    const cache = { XDG_CACHE_HOME: join(dir, 'cache') };
    for (const c of cases) {
      const file = join(dir, 'kubeconfig');
      writeFileSync(file, stringify(c.doc));
      const theirs = await clientView(file, c.context);
      // The client trims nothing from a token file; kubectl and we do.
      if (c.name === 'token-file') theirs.headers.authorization = theirs.headers.authorization?.trim() ?? '';
      assert.deepEqual(await ourView(file, c.context), theirs, c.name);
      assert.deepEqual(await ourView(file, c.context, cache), theirs, `${c.name}, parsed into the cache`);
      assert.deepEqual(await ourView(file, c.context, cache), theirs, `${c.name}, from the cache`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The generated client could only fail on these too, after seconds of loading, and without
// saying which file (the message kubectl's users see for a stale current-context).
test('a context that is not in the kubeconfig, or one naming a cluster that is not, is a config error naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-kubeconfig-'));
  try {
    const file = join(dir, 'kubeconfig');
    const base = kubeconfig({}, { token: 'abc' });
    const cases: Array<[string, object, string | undefined, RegExp]> = [
      ['a current-context that is gone', { ...base, 'current-context': 'gone' }, undefined, /kubeconfig .*kubeconfig has no context "gone" \(its current-context\)/],
      ['platform.context naming one that is not there', base, 'nosuch', /has no context "nosuch" \(platform\.context\)/],
      ['no current-context and none configured', { ...base, 'current-context': undefined }, undefined, /sets no current-context and platform\.context names none/],
      ['a context naming a cluster that is not there', { ...base, contexts: [{ name: 'main', context: { cluster: 'gone', user: 'u' } }] }, undefined, /context "main" names cluster "gone", which it does not define/],
    ];
    for (const [name, doc, context, message] of cases) {
      writeFileSync(file, stringify(doc));
      for (const cache of [false, true, true]) {
        await assert.rejects(loadClusterAccess(context, { KUBECONFIG: file, XDG_CACHE_HOME: join(dir, 'cache') }, { cache }), (err: Error & { code?: string; details?: { file?: string } }) => {
          assert.equal(err.code, 'config', name);
          assert.equal(err.details?.file, file, name);
          assert.match(err.message, message, name);
          return true;
        }, `${name} (cache ${cache})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfigs that need the generated client are left to it, with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-kubeconfig-'));
  try {
    const file = join(dir, 'kubeconfig');
    const cases: Array<[string, object, RegExp]> = [
      ['exec plugin', kubeconfig({}, { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } }), /exec plugin/],
      ['auth-provider', kubeconfig({}, { 'auth-provider': { name: 'oidc' } }), /auth-provider/],
      ['proxy', kubeconfig({ 'proxy-url': 'http://proxy:3128' }, { token: 'abc' }), /proxy-url/],
      ['plain HTTP with TLS checks on', kubeconfig({ server: 'http://127.0.0.1:8080' }, { token: 'abc' }), /plain HTTP/],
    ];
    for (const [name, doc, reason] of cases) {
      writeFileSync(file, stringify(doc));
      for (const cache of [false, true, true]) {
        const found = await loadClusterAccess(undefined, { KUBECONFIG: file, XDG_CACHE_HOME: join(dir, 'cache') }, { cache });
        assert.ok('unsupported' in found, name);
        assert.match(found.unsupported, reason, name);
      }
    }
    assert.match((await loadClusterAccess(undefined, { KUBECONFIG: `${file}:${file}` }) as { unsupported: string }).unsupported, /several files/);
    assert.ok('unsupported' in await loadClusterAccess(undefined, { KUBECONFIG: join(dir, 'missing') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
