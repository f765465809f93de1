import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../../bin/cutover', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cutover-lint-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cutover(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cutover migrations lint', () => {
  mkdirSync(join(dir, 'db/expand'), { recursive: true });
  mkdirSync(join(dir, 'db/contract'), { recursive: true });
  writeFileSync(join(dir, 'cutover.yaml'), 'migrations:\n  expand: db/expand\n  contract: db/contract\n');
  writeFileSync(join(dir, 'db/expand/001_add.sql'), 'ALTER TABLE users ADD COLUMN bio text;\n');
  writeFileSync(join(dir, 'db/contract/001_drop.sql'), '-- the old release stopped using it\nALTER TABLE users DROP COLUMN nickname;\n');

  test('a drop in the configured contract directory passes; the same file linted as expand fails with exit 1', () => {
    const ok = cutover('migrations', 'lint', 'db', 'db/expand', 'db/contract', '--format', 'json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { files: ['db/expand/001_add.sql', 'db/contract/001_drop.sql'], findings: [] });

    const bad = cutover('migrations', 'lint', 'db/contract/001_drop.sql', '--phase', 'expand', '--format', 'github');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^::error file=db\/contract\/001_drop\.sql,line=2,col=19,title=cutover drop-column::drops column users\.nickname/m);
  });

  test('bad usage exits 2 and says what was wrong', () => {
    const r = cutover('migrations', 'lint', 'db', '--format', 'xml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format must be one of text, json, github, not "xml"/);
  });
});

// On Kubernetes the record is the state ConfigMap, not a file beside the config: the release
// gates of `migrations expand|contract` read it through the platform's store. The API server
// here answers that one read over real HTTP (the kubernetes suite runs the same against a real
// control plane); the ledger is the embedded PGlite default.
describe('cutover migrations expand|contract on Kubernetes', () => {
  const k8sDir = mkdtempSync(join(tmpdir(), 'cutover-mig-k8s-'));
  after(() => rmSync(k8sDir, { recursive: true, force: true }));
  const reads: string[] = [];
  let state = '';
  const api = createServer((req, res) => {
    reads.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/api/v1/namespaces/shop/configmaps/shop-api-cutover') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'shop-api-cutover', namespace: 'shop' }, data: { 'state.json': state } }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 }));
    }
  });
  after(() => api.close());

  function cutoverIn(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: k8sDir, env: { ...process.env, KUBECONFIG: join(k8sDir, 'kubeconfig') } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('contract is refused while the state ConfigMap says blue still runs the older release', { timeout: 120_000 }, async () => {
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const { port } = api.address() as AddressInfo;
    writeFileSync(join(k8sDir, 'kubeconfig'), `apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\nusers:\n- name: test\n  user:\n    token: test-token\n`);
    mkdirSync(join(k8sDir, 'k8s'));
    writeFileSync(join(k8sDir, 'k8s/deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-api\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: placeholder\n');
    writeFileSync(join(k8sDir, 'cutover.yaml'), 'app: shop-api\nplatform:\n  kind: kubernetes\n  namespace: shop\n  service: shop-api\n  deployment: k8s/deployment.yaml\n  image: registry.example/shop-api:${version}\nmigrations:\n  expand: db/expand\n  contract: db/contract\n');
    mkdirSync(join(k8sDir, 'db/expand'), { recursive: true });
    mkdirSync(join(k8sDir, 'db/contract'), { recursive: true });
    writeFileSync(join(k8sDir, 'db/expand/001_users.sql'), 'CREATE TABLE users (id bigint, name text, full_name text);\n');
    writeFileSync(join(k8sDir, 'db/contract/001_drop_name.sql'), 'ALTER TABLE users DROP COLUMN name;\n');
    // green runs v2 and is live; blue still runs v1 (not retired yet).
    const since = new Date().toISOString();
    const colors = { blue: { version: 'v1', state: 'ready', since }, green: { version: 'v2', state: 'live', since } };
    state = JSON.stringify({ schemaVersion: 1, app: 'shop-api', live: 'green', colors, operation: null, releases: ['v1', 'v2'] });

    const expand = await cutoverIn('migrations', 'expand');
    assert.equal(expand.code, 0, expand.stderr);
    assert.match(expand.stdout, /applied 1 expand migration for release v2: 001_users\.sql/);
    assert.ok(reads.includes('GET /api/v1/namespaces/shop/configmaps/shop-api-cutover'), reads.join('\n'));

    const refused = await cutoverIn('migrations', 'contract');
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /contract migrations refused: blue still runs v1, which is older than v2/);

    state = JSON.stringify({ schemaVersion: 1, app: 'shop-api', live: 'green', colors: { ...colors, blue: { version: 'v1', state: 'retired', since } }, operation: null, releases: ['v1', 'v2'] });
    const contract = await cutoverIn('migrations', 'contract');
    assert.equal(contract.code, 0, contract.stderr);
    assert.match(contract.stdout, /applied 1 contract migration for release v2: 001_drop_name\.sql/);
  });
});
