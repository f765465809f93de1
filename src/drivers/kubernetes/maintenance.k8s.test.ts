// Maintenance mode on a real control plane: on changes the banner, the Service and the
// replica counts; off puts back exactly what was there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { request } from 'undici';
import { freePort } from '../local/free-port.ts';
import { nginxBinary, startNginxConfD } from '../../../test/support/nginx-conf-d.ts';
import { APP, APP_CONFIGMAP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: maintenance on and off', () => {
  let ws: K8sWorkspace;
  // scaleColorsTo 1: both colors are scaled down to one replica while in maintenance.
  const options = { replicas: 3, scaleColorsTo: 1, scaleDownReplicas: 1 } as const;
  before(async () => {
    ws = await K8sWorkspace.create('scn-maint', options);
    for (const version of ['v1', 'v2']) {
      const r = await ws.cli(['deploy', version]);
      assert.equal(r.code, 0, explain(r));
    }
  });
  after(() => ws.dispose());

  /** Everything maintenance may touch, as kubectl sees it. */
  async function snapshot(): Promise<Json> {
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    const cm = await ws.kubectlJson(['get', 'configmap', APP_CONFIGMAP]);
    const replicas: Record<string, number> = {};
    for (const color of ['blue', 'green']) replicas[color] = (await ws.kubectlJson(['get', 'deployment', `${APP}-${color}`])).spec.replicas;
    return { selector: svc.spec.selector, ports: svc.spec.ports, configMap: cm.data, replicas };
  }

  test('given green live with 3 replicas and blue kept at 1, on and off restore the exact selector, replicas and banner', async () => {
    const before = await snapshot();
    assert.deepEqual(before.replicas, { blue: 1, green: 3 });
    assert.equal(before.configMap.MAINTENANCE_BANNER, undefined);

    const on = await ws.cli(['maintenance', 'on', '-m', 'Upgrading the database until 14:00']);
    assert.equal(on.code, 0, explain(on));
    const during = await snapshot();
    assert.equal(during.selector.color, 'maintenance');
    assert.equal(during.configMap.MAINTENANCE_BANNER, 'Upgrading the database until 14:00');
    assert.deepEqual(during.replicas, { blue: 1, green: 1 });
    const page = await ws.kubectlJson(['get', 'deployment', `${APP}-maintenance`]);
    assert.equal(page.spec.template.spec.containers[0].image, 'registry.example/maintenance-page:1');
    const slices = await ws.kubectlJson(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SERVICE}`]);
    const targets = slices.items.flatMap((s: Json) => s.endpoints ?? []).map((e: Json) => e.targetRef.name as string);
    assert.ok(targets.length === 1 && targets[0]!.startsWith(`${APP}-maintenance-`), `the Service reaches only the maintenance page: ${targets.join(', ')}`);
    const status = await ws.cli(['status']);
    assert.equal(status.json.maintenance.on, true);
    // Planned maintenance is planned: no warning, and doctor finds no problem.
    assert.equal(status.code, 0, explain(status));
    assert.deepEqual(status.json.warnings, [], explain(status));
    const doctor = await ws.cli(['doctor']);
    assert.equal(doctor.code, 0, explain(doctor));
    const planned = doctor.json.findings.find((f: Json) => f.check === 'maintenance');
    assert.equal(planned?.verdict, 'ok', explain(doctor));
    assert.match(planned.detail, /maintenance is on \(planned\): "Upgrading the database until 14:00"/);

    const again = await ws.cli(['maintenance', 'on', '-m', 'Upgrading the database until 15:00']);
    assert.equal(again.code, 0, `maintenance on is idempotent: ${explain(again)}`);

    const off = await ws.cli(['maintenance', 'off']);
    assert.equal(off.code, 0, explain(off));
    assert.deepEqual(await snapshot(), before, 'selector, ports, ConfigMap and replicas are exactly as before');
    await assert.rejects(ws.kubectlJson(['get', 'deployment', `${APP}-maintenance`]), /not found/);
    const endpoints = (await ws.kubectlJson(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SERVICE}`]))
      .items.flatMap((s: Json) => s.endpoints ?? []).filter((e: Json) => e.conditions.ready);
    assert.equal(endpoints.length, 3, 'green serves with all 3 replicas again');
  });

  test('given a banner that already had a value, off restores that value rather than removing the key', async () => {
    await ws.cluster.core.patchNamespacedConfigMap(
      { name: APP_CONFIGMAP, namespace: ws.namespace, body: { data: { MAINTENANCE_BANNER: 'Planned downtime Sunday 02:00' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const before = await snapshot();
    assert.equal((await ws.cli(['maintenance', 'on', '-m', 'Now'])).code, 0);
    assert.equal((await snapshot()).configMap.MAINTENANCE_BANNER, 'Now');
    assert.equal((await ws.cli(['maintenance', 'off'])).code, 0);
    assert.deepEqual(await snapshot(), before);
  });

  test('given maintenance on, the Service reaches a page server whose ConfigMap config answers 503, Retry-After and the page', async (t) => {
    // kwok runs no containers, so the maintenance pod's server is run here, as a real nginx, from
    // exactly the ConfigMap the cluster holds (on a free port, through platform.maintenance.port).
    const port = await freePort();
    ws.writeConfig('cutover.yaml', { ...options, maintenancePort: port, retryAfter: '2m' });
    const on = await ws.cli(['maintenance', 'on', '-m', 'Database upgrade <until 14:00>']);
    assert.equal(on.code, 0, explain(on));
    const page = await ws.kubectlJson(['get', 'configmap', `${APP}-maintenance`]);
    const deployment = await ws.kubectlJson(['get', 'deployment', `${APP}-maintenance`]);
    const pod = deployment.spec.template.spec;
    assert.deepEqual(pod.volumes, [{ name: 'maintenance-page', configMap: { name: `${APP}-maintenance`, defaultMode: 420 } }]);
    assert.deepEqual(pod.containers[0].volumeMounts, [{ name: 'maintenance-page', mountPath: '/etc/nginx/conf.d', readOnly: true }]);
    assert.equal(pod.containers[0].readinessProbe.httpGet.path, '/cutover-maintenance-ready');
    assert.equal(pod.containers[0].ports[0].containerPort, port);
    assert.equal(deployment.status.readyReplicas, 1, 'the Service was pointed at a Ready maintenance pod');
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'maintenance');

    const nginx = nginxBinary();
    if (nginx) {
      const server = await startNginxConfD(nginx, page.data, port);
      try {
        const res = await request(`http://127.0.0.1:${port}/orders/42`, { method: 'POST', body: '{}' });
        const body = await res.body.text();
        assert.equal(res.statusCode, 503);
        assert.equal(res.headers['retry-after'], '120');
        assert.match(body, /Database upgrade &lt;until 14:00&gt;/);
        const ready = await request(`http://127.0.0.1:${port}/cutover-maintenance-ready`);
        await ready.body.dump();
        assert.equal(ready.statusCode, 200);
      } finally {
        await server.stop();
      }
    } else {
      t.diagnostic('nginx is not installed (Debian nginx-light): the ConfigMap was checked, not served');
    }

    const off = await ws.cli(['maintenance', 'off']);
    assert.equal(off.code, 0, explain(off));
    await assert.rejects(ws.kubectlJson(['get', 'configmap', `${APP}-maintenance`]), /not found/);
  });
});
