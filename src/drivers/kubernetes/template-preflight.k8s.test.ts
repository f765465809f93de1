// A bad Deployment template is found before anything changes: exit 2, nothing in the cluster
// touched, and doctor reports it. kubectl is the witness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP, explain, K8sWorkspace } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: the Deployment template is checked first', () => {
  let ws: K8sWorkspace;
  before(async () => { ws = await K8sWorkspace.create('scn-template', { replicas: 2 }); });
  after(() => ws.dispose());

  test('given a missing template, deploy exits 2 naming it, creates nothing, and doctor reports it', async () => {
    rmSync(join(ws.dir, 'k8s', 'deployment.yaml'));
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 2, explain(r));
    assert.equal(r.json.error.code, 'config');
    assert.match(r.json.error.message, /cannot read the Deployment template .*k8s\/deployment\.yaml/);
    assert.deepEqual((await ws.kubectlJson(['get', 'deployments'])).items, [], 'nothing was created');
    assert.equal(await ws.readState(), null, 'nothing was recorded');
    const doctor = await ws.cli(['doctor']);
    assert.equal(doctor.code, 1, explain(doctor));
    const finding = doctor.json.findings.find((f: Json) => f.check === 'template');
    assert.equal(finding?.verdict, 'problem', explain(doctor));
  });

  test('given a template whose container declares no port, deploy exits 2 and says so', async () => {
    writeFileSync(join(ws.dir, 'k8s', 'deployment.yaml'), `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    metadata: {labels: {app: ${APP}}}\n    spec:\n      containers:\n        - name: api\n          image: placeholder\n`);
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.json.error.message, /container "api" declares no ports/);
    assert.deepEqual((await ws.kubectlJson(['get', 'deployments'])).items, []);
  });
});
