// The first deploy into a namespace where the user's Service already exists: the selector
// must only ever point at a color with ready pods. A `kubectl get -w` of the Service is the
// witness of every selector value the API server held.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Watch, type V1Service } from '@kubernetes/client-node';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: the first deploy', () => {
  let ws: K8sWorkspace;
  before(async () => {
    // The runbooks' Service: {app, color: blue}, created before anything is deployed.
    ws = await K8sWorkspace.create('scn-first', { replicas: 2, serviceColor: 'blue' });
  });
  after(() => ws.dispose());

  test('given a Service selecting blue with no pods, the first deploy never points it at a color without ready pods', async () => {
    const kubectl = spawn('kubectl', ['-n', ws.namespace, 'get', 'service', SERVICE, '--watch', '--output-watch-events',
      '-o', 'jsonpath={.object.spec.selector.color}{"\\n"}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let witnessed = '';
    kubectl.stdout.setEncoding('utf8').on('data', (d: string) => { witnessed += d; });
    // At every change of the selector, count the ready pods of the color it names.
    const readyAtChange: Array<{ color: string; ready: number }> = [];
    let lastColor: string | undefined;
    const watching = await new Watch(ws.cluster.kc).watch(`/api/v1/namespaces/${ws.namespace}/services`, { fieldSelector: `metadata.name=${SERVICE}` },
      (_type, svc: V1Service) => {
        const color = svc.spec?.selector?.color ?? '(none)';
        if (color === lastColor) return;
        lastColor = color;
        void ws.cluster.core.listNamespacedPod({ namespace: ws.namespace, labelSelector: `app=${APP},color=${color}` }).then((l) => {
          readyAtChange.push({ color, ready: l.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length });
        });
      }, () => {});
    try {
      const r = await ws.cli(['deploy', 'v1']);
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.json.outcome, 'promoted');
      // The first release goes to the color the Service does not select yet.
      assert.deepEqual(r.json.live, { color: 'green', version: 'v1' });
      await new Promise((res) => setTimeout(res, 500));
    } finally {
      watching.abort();
      kubectl.kill();
    }
    const colors = witnessed.split('\n').filter(Boolean).filter((c, i, all) => i === 0 || all[i - 1] !== c);
    assert.deepEqual(colors, ['blue', 'green'], `kubectl saw the selector go: ${witnessed.split('\n').join(' ')}`);
    assert.deepEqual(readyAtChange.slice(1).map((c) => c.color), ['green']);
    assert.equal(readyAtChange[1]!.ready, 2, 'green had its 2 ready pods when the selector moved to it');
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.deepEqual(svc.spec.selector, { app: APP, color: 'green' });
  });

  test('a second deploy goes to blue as usual and only the color changes', async () => {
    const r = await ws.cli(['deploy', 'v2']);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.json.live, { color: 'blue', version: 'v2' });
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
  });

  test('kubectl cutover status works as a kubectl plugin, with numeric ready counts', async () => {
    const plugins = mkdtempSync(join(tmpdir(), 'cutover-kubectl-plugin-'));
    try {
      symlinkSync(fileURLToPath(new URL('../../../bin/kubectl-cutover', import.meta.url)), join(plugins, 'kubectl-cutover'));
      const r = spawnSync('kubectl', ['cutover', 'status', '--config', ws.configPath, '--json'], {
        cwd: ws.dir, encoding: 'utf8', env: { ...process.env, PATH: `${plugins}:${process.env.PATH}`, CI: 'true' }, timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const status = JSON.parse(r.stdout);
      assert.deepEqual(status.live, { color: 'blue', version: 'v2' });
      assert.deepEqual([status.colors.blue.ready, status.colors.blue.desired], [2, 2]);
      assert.equal(status.colors.blue.healthy, true);
    } finally {
      rmSync(plugins, { recursive: true, force: true });
    }
  });

  test('every object and field cutover wrote is recorded under field manager cutover', async () => {
    const entries = async (kind: string, name: string) =>
      (await ws.kubectlJson(['get', kind, name, '--show-managed-fields'])).metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: Json }>;
    // Objects cutover created: every manager is cutover, none is the HTTP library's name.
    for (const [kind, name] of [['deployment', `${APP}-blue`], ['configmap', `${APP}-cutover`], ['service', `${SERVICE}-preview`]] as const) {
      const managers = new Set((await entries(kind, name)).map((f) => f.manager));
      assert.deepEqual([...managers].filter((m) => m !== 'cutover' && !m.startsWith('kube-')), [], `${kind} ${name}: ${[...managers].join(', ')}`);
      assert.ok(managers.has('cutover'), `${kind} ${name}: ${[...managers].join(', ')}`);
    }
    // The user's Service (created by the test): its selector, an atomic map, was last set by cutover.
    const colorOwners = (await entries('service', SERVICE)).filter((f) => f.fieldsV1?.['f:spec']?.['f:selector']).map((f) => f.manager);
    assert.deepEqual(colorOwners, ['cutover']);
  });
});
