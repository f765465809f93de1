// RBAC as a cluster admin would set it up: a view-only ServiceAccount gets doctor naming each
// missing right, and a ServiceAccount bound to the Role that `cutover rbac` prints can deploy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A kubeconfig for ServiceAccount `name`: the test cluster's, with that account's token. */
async function serviceAccountKubeconfig(ws: K8sWorkspace, name: string): Promise<string> {
  const token = await ws.cluster.core.createNamespacedServiceAccountToken({ name, namespace: ws.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const path = join(ws.dir, `${name}-kubeconfig`);
  const real = readFileSync(process.env.KUBECONFIG!, 'utf8');
  const replaced = real.replace(/token: \S+/, `token: ${token.status!.token}`);
  assert.notEqual(replaced, real);
  writeFileSync(path, replaced);
  return path;
}

describe('kubernetes: RBAC', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-rbac', { replicas: 2 });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    for (const name of ['viewer', 'deployer']) await ws.cluster.core.createNamespacedServiceAccount({ namespace: ws.namespace, body: { metadata: { name } } });
    await ws.cluster.kubectl(['-n', ws.namespace, 'create', 'rolebinding', 'viewer-view', '--clusterrole=view', `--serviceaccount=${ws.namespace}:viewer`]);
  });
  after(() => ws.dispose());

  test('given a view-only ServiceAccount, doctor names the missing verbs and the fix', async () => {
    const kubeconfig = await serviceAccountKubeconfig(ws, 'viewer');
    const r = await ws.cli(['doctor'], { env: { KUBECONFIG: kubeconfig } });
    assert.equal(r.code, 1, explain(r));
    const rbac = r.json.findings.find((f: Json) => f.check === 'rbac');
    assert.equal(rbac?.verdict, 'problem', explain(r));
    for (const missing of ['create, patch on services', 'create, update, patch, delete on configmaps', 'get, create, update on coordination.k8s.io/leases', 'get, create on pods/portforward', 'patch on apps/deployments/scale']) {
      assert.ok(rbac.detail.includes(missing), `doctor names "${missing}": ${rbac.detail}`);
    }
    assert.match(rbac.fix, /cutover rbac/);
    // The same user still gets a status from the cluster, which says what it could not read.
    const status = await ws.cli(['status'], { env: { KUBECONFIG: kubeconfig } });
    assert.equal(status.json.live.version, 'v1', explain(status));
    assert.equal(status.json.colors[status.json.live.color].ready, 2, explain(status));
    assert.ok(status.json.warnings.some((w: string) => /^cannot read the lock: /.test(w)), explain(status));
  });

  test('given the Role and RoleBinding from `cutover rbac`, doctor finds every right and that ServiceAccount can deploy', async () => {
    const printed = await ws.cli(['rbac', '--service-account', 'deployer']);
    assert.equal(printed.code, 0, explain(printed));
    const applied = spawnSync('kubectl', ['-n', ws.namespace, 'apply', '-f', '-'], { input: printed.stdout, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /role\.rbac\.authorization\.k8s\.io\/shop-cutover created/);
    const kubeconfig = await serviceAccountKubeconfig(ws, 'deployer');
    const doctor = await ws.cli(['doctor'], { env: { KUBECONFIG: kubeconfig } });
    assert.equal(doctor.json.findings.find((f: Json) => f.check === 'rbac')?.verdict, 'ok', explain(doctor));
    const deploy = await ws.cli(['deploy', 'v2'], { env: { KUBECONFIG: kubeconfig } });
    assert.equal(deploy.code, 0, explain(deploy));
    assert.deepEqual(deploy.json.live, { color: 'green', version: 'v2' });
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'green');
  });
});
