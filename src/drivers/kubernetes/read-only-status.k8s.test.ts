// `status` and `history` on Kubernetes read through plain GETs (RestReads) rather than the
// generated client, whose import alone took seconds. On the test control plane: the read-only
// platform reports exactly what the full one does, the CLI loads no @kubernetes module for
// `status` (a module trace) and agrees with kubectl, and `--probe` still loads the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../config/load.ts';
import { createKubernetesPlatform } from './index.ts';
import { createReadOnlyKubernetesPlatform } from './read-only-platform.ts';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';
import { installPackedPackage } from '../../../test/support/installed-package.ts';
import { traceModules } from '../../../test/support/module-trace.ts';

const BIN = fileURLToPath(new URL('../../../bin/cutover', import.meta.url));
const client = /\/node_modules\/@kubernetes\//;

describe('kubernetes: read-only status', () => {
  let ws: K8sWorkspace;
  before(async () => {
    // blue retired to 1 replica, green live at 2: both colors have pods to count.
    ws = await K8sWorkspace.create('scn-ro', { replicas: 2, monitorDuration: '1ms', scaleDownDelay: '0s', scaleDownReplicas: 1 });
    for (const v of ['v1', 'v2']) {
      const r = await ws.cli(['deploy', v]);
      assert.equal(r.code, 0, explain(r));
    }
  });
  after(() => ws.dispose());

  test('the read-only platform reads the same status, record, lock and history as the full one', async () => {
    const config = loadConfig(ws.configPath);
    const full = await createKubernetesPlatform(config);
    const light = await createReadOnlyKubernetesPlatform(config, () => { throw new Error('the full platform was loaded'); });
    assert.ok(light, 'the test kubeconfig (token, inline CA) needs no generated client');
    try {
      assert.deepEqual(await light.driver.status(), await full.driver.status());
      assert.deepEqual(await light.store.load(), await full.store.load());
      assert.deepEqual(await light.store.history(), await full.store.history());
      assert.deepEqual(await light.store.lockHolder(), await full.store.lockHolder());
      const holder = { pid: process.pid, host: 'elsewhere', command: 'deploy', since: new Date().toISOString() };
      assert.equal(await light.store.isHolderGone(holder), await full.store.isHolderGone(holder));
    } finally {
      await light.driver.close();
      await full.driver.close();
    }
  });

  test('cutover status loads no Kubernetes client module and agrees with kubectl', async () => {
    const run = await traceModules(BIN, ['status', '--json', '--config', ws.configPath], { cwd: ws.dir, env: { CI: 'true' } });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(run.modules.filter((url) => client.test(url)), [], 'no @kubernetes module was resolved');
    const report = JSON.parse(run.stdout);
    // The witness: what kubectl reads from the same API server.
    const svc = await ws.kubectlJson(['get', 'service', SERVICE]);
    assert.equal(report.live.color, svc.spec.selector.color);
    assert.equal(report.live.color, 'green');
    for (const color of ['blue', 'green']) {
      const d = await ws.kubectlJson(['get', 'deployment', `${APP}-${color}`]);
      assert.equal(report.colors[color].desired, d.spec.replicas, `${color} desired`);
      assert.equal(report.colors[color].ready, d.status.readyReplicas ?? 0, `${color} ready`);
    }
    assert.deepEqual([report.colors.blue.version, report.colors.green.version], ['v1', 'v2']);
    assert.equal(report.colors.green.healthy, true);
    assert.deepEqual(report.warnings, []);
  });

  test('history reads without the client too; status --probe loads it and probes through port-forward', async () => {
    const history = await traceModules(BIN, ['history', '--json', '--config', ws.configPath], { cwd: ws.dir, env: { CI: 'true' } });
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(history.modules.filter((url) => client.test(url)), []);
    assert.ok(history.stdout.includes('"v2"'), history.stdout);
    const probe = await traceModules(BIN, ['status', '--probe', '--json', '--config', ws.configPath], { cwd: ws.dir, env: { CI: 'true' } });
    assert.equal(probe.code, 0, `${probe.stdout}\n${probe.stderr}`);
    assert.ok(probe.modules.some((url) => client.test(url)), '--probe needs port-forward, from the client');
    assert.equal(JSON.parse(probe.stdout).colors.green.healthy, true);
  });

  test('the installed package, which has no @kubernetes/client-node, answers status and history from the cluster', { timeout: 600_000 }, async () => {
    const installed = await installPackedPackage();
    try {
      assert.equal(existsSync(join(installed.project, 'node_modules', '@kubernetes', 'client-node')), false);
      const run = promisify(execFile);
      const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
      const status = JSON.parse((await run(process.execPath, [installed.bin, 'status', '--json', '--config', ws.configPath], { env })).stdout);
      assert.equal(status.live.color, (await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color);
      assert.equal(status.colors.green.ready, 2);
      const history = await run(process.execPath, [installed.bin, 'history', '--config', ws.configPath], { env });
      assert.match(history.stdout, /v2/);
      // A verb that changes the cluster needs the client, and says so.
      const deploy = await run(process.execPath, [installed.bin, 'deploy', 'v3', '--config', ws.configPath], { env }).catch((err: { code: number; stderr: string }) => err);
      assert.equal((deploy as { code: number }).code, 2);
      assert.match((deploy as { stderr: string }).stderr, /needs the optional package @kubernetes\/client-node/);
    } finally {
      installed.cleanup();
    }
  });
});
