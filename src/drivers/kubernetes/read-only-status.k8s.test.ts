// `status` and `history` on Kubernetes read through plain GETs (RestReads) rather than the
// generated client, whose import alone took seconds. On the test control plane: the read-only
// platform reports exactly what the full one does, the CLI loads no @kubernetes module for
// `status` (a module trace) and agrees with kubectl, and `--probe` still loads the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
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

  test('the status fast path and the full program print the same on Kubernetes, text and --json', async () => {
    const run = promisify(execFile);
    for (const args of [['status'], ['status', '--json'], ['--json', 'status', '--bogus']]) {
      const outputs = [];
      for (const fastPath of ['1', '0']) {
        const env = { ...process.env, CI: 'true', NO_COLOR: '1', CUTOVER_STATUS_FAST_PATH: fastPath };
        outputs.push(await run(process.execPath, [BIN, ...args, '--config', ws.configPath], { cwd: ws.dir, env }).then((r) => ({ code: 0, ...r }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr })));
      }
      assert.deepEqual(outputs[0], outputs[1], args.join(' '));
      assert.equal(outputs[0]!.code, args.includes('--bogus') ? 2 : 0, outputs[0]!.stderr);
    }
  });

  test('a damaged record in the state ConfigMap: status exits 1 naming the ConfigMap, the key and the field, and changes nothing', async () => {
    const name = `${APP}-cutover`;
    const good = (await ws.cluster.core.readNamespacedConfigMap({ name, namespace: ws.namespace })).data!['state.json']!;
    const put = (text: string) => ws.cluster.core.patchNamespacedConfigMap(
      { name, namespace: ws.namespace, body: { data: { 'state.json': text } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const damages: Array<[string, string, RegExp]> = [
      ['an unknown live color', JSON.stringify({ ...JSON.parse(good), live: 'purple' }), /live: expected one of "blue", "green", found "purple"/],
      ['a color of the wrong type', JSON.stringify({ ...JSON.parse(good), colors: { ...JSON.parse(good).colors, green: 3 } }), /colors\.green: expected a mapping, found number 3/],
      ['a phase without its name', JSON.stringify({ ...JSON.parse(good), operation: { ...opFrom(good), phases: [{ status: 'running', startedAt: 'x', durationMs: 1, detail: '' }] } }), /operation\.phases\[0\]\.name: required/],
      ['torn JSON', good.slice(0, 40), /it is not valid JSON/],
    ];
    try {
      for (const [what, text, problem] of damages) {
        await put(text);
        const r = await ws.cli(['status']);
        assert.equal(r.code, 1, `${what}: ${explain(r)}`);
        assert.equal(r.json?.error?.code, 'damaged', `${what}: ${r.stdout}`);
        assert.match(r.stderr, new RegExp(`ConfigMap ${ws.namespace}/${name} key state\\.json is damaged`), what);
        assert.match(r.stderr, problem, what);
        assert.match(r.stderr, /cutover resume/, `${what}: the way out`);
        assert.equal((await ws.cluster.core.readNamespacedConfigMap({ name, namespace: ws.namespace })).data!['state.json'], text, `${what}: the record is left as it was`);
      }
    } finally {
      await put(good);
    }
    assert.equal((await ws.cli(['status'])).code, 0);
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
      // The bundle's chunks have hashed names: zod's and the YAML parser's are found by what they hold.
      const chunks = join(installed.project, 'node_modules', 'cutover', 'dist');
      const holds = (url: string, marker: string) => url.startsWith('file:') && url.includes('/dist/') && readFileSync(fileURLToPath(url), 'utf8').includes(marker);
      // The first status fills the caches (config, kubeconfig), as any earlier command would; the second is a user's.
      for (const round of ['first', 'second']) {
        const traced = await traceModules(installed.bin, ['status', '--json', '--config', ws.configPath], { env: { CI: 'true', XDG_CACHE_HOME: join(installed.project, 'cache') } });
        assert.equal(traced.code, 0, `${round}: ${traced.stdout}\n${traced.stderr}`);
        const status = JSON.parse(traced.stdout);
        assert.equal(status.live.color, (await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color);
        assert.equal(status.colors.green.ready, 2);
        assert.ok(traced.modules.some((url) => url.includes(chunks)), 'the trace sees the bundle');
        // The status fast path (dist/cli/status-main.cjs) requires them as packages, the full program has them in chunks.
        const zod = traced.modules.filter((url) => /\/node_modules\/zod\//.test(url) || holds(url, '$ZodType"'));
        const yaml = traced.modules.filter((url) => /\/node_modules\/yaml\//.test(url) || holds(url, 'yaml.document'));
        if (round === 'first') {
          // It validates the config and parses the kubeconfig (which also shows the markers find the chunks).
          assert.notDeepEqual(zod, [], 'the first status validates the config with zod');
          assert.notDeepEqual(yaml, [], 'the first status parses the YAML');
        } else {
          assert.deepEqual(zod, [], 'no zod chunk once the config is cached');
          assert.deepEqual(yaml, [], 'no YAML parser once the kubeconfig is cached');
        }
      }
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

/** The recorded operation of a record, or a minimal one to damage. */
function opFrom(stateText: string): Record<string, unknown> {
  return JSON.parse(stateText).operation ?? {
    id: 'op-test', kind: 'deploy', version: 'v9', target: 'blue', from: 'green', phase: 'verify', startedAt: 'x',
    holder: { pid: 1, host: 'h', command: 'deploy v9', since: 'x' }, options: {},
  };
}
