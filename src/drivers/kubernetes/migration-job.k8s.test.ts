// Migrations as Jobs on a real control plane: the Job runs to completion before the new color
// is provisioned, and a failed Job fails the deploy with the Job's status and its pod's logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationJobName } from './migration-job.ts';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: migration Jobs', () => {
  let ws: K8sWorkspace;
  before(async () => {
    ws = await K8sWorkspace.create('scn-migrate', { replicas: 2, migrationJob: true });
    // kwok serves container logs from a file in the CRI log format; this one is what the
    // migration container "printed".
    const logFile = join(ws.dir, 'migrate.log');
    writeFileSync(logFile, [
      '2026-01-01T00:00:00.000000000Z stdout F applying 0042_orders_total_not_null.sql',
      '2026-01-01T00:00:01.000000000Z stderr F ERROR:  column "total" of relation "orders" contains null values',
      '',
    ].join('\n'));
    await ws.cluster.custom.createClusterCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      plural: 'clusterlogs',
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'ClusterLogs',
        metadata: { name: `migrate-${ws.namespace}` },
        spec: { selector: { matchNamespaces: [ws.namespace] }, logs: [{ containers: ['migrate'], logsFile: logFile }] },
      },
    });
  });
  after(async () => {
    await ws.cluster.custom.deleteClusterCustomObject({ group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'clusterlogs', name: `migrate-${ws.namespace}` }).catch(() => {});
    await ws.dispose();
  });

  test('given a migration Job that succeeds, it completes before the release is provisioned', async () => {
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    const job = await ws.kubectlJson(['get', 'job', migrationJobName(APP, 'v1')]);
    assert.ok(job.status.conditions.some((c: Json) => c.type === 'Complete' && c.status === 'True'));
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['migrate', '--to', 'v1'], '${version} is substituted');
    assert.equal(job.spec.template.spec.containers[0].image, 'registry.example/shop:v1', '${image} is the release image');
    const deployment = await ws.kubectlJson(['get', 'deployment', `${APP}-blue`]);
    assert.ok(new Date(deployment.metadata.creationTimestamp) >= new Date(job.status.completionTime), 'the Deployment was created after the Job completed');
  });

  test('given a migration Job that fails, the deploy fails with its status and logs, and blue stays live and untouched', async () => {
    const r = await ws.cli(['deploy', 'v2-fail']);
    assert.equal(r.code, 1, explain(r));
    const provision = r.json.phases.find((p: Json) => p.name === 'provision');
    assert.equal(provision.status, 'failed');
    assert.match(provision.detail, new RegExp(`migration Job ${ws.namespace}/${migrationJobName(APP, 'v2-fail')} for v2-fail failed: BackoffLimitExceeded`));
    assert.match(provision.detail, /exited 1 \(Error\)/);
    assert.match(provision.detail, /ERROR: {2}column "total" of relation "orders" contains null values/, 'the pod\'s logs are shown');
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v1' });
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
    await assert.rejects(ws.kubectlJson(['get', 'deployment', `${APP}-green`]), /not found/, 'green was never provisioned');
  });
});
