// A newcomer's first steps on Kubernetes: `cutover init --platform kubernetes`, apply the Service
// it wrote, `doctor`, then the first deploy, all against the real control plane with kubectl as
// the witness. The only test-side part is PodBackends, which plays the containers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliRunner, explain } from '../../../test/support/cli-runner.ts';
import { PodBackends } from '../../../test/support/k8s-pod-backends.ts';
import { connectTestCluster, type TestCluster } from '../../../test/support/k8s-test-cluster.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('kubernetes: cutover init --platform kubernetes', () => {
  let cluster: TestCluster;
  let namespace: string;
  let dir: string;
  let runner: CliRunner;
  let backends: PodBackends;
  before(async () => {
    cluster = connectTestCluster();
    namespace = await cluster.createNamespace('scn-init');
    dir = mkdtempSync(join(tmpdir(), 'cutover-k8s-init-'));
    runner = new CliRunner({ cwd: dir, config: join(dir, 'cutover.yaml'), timeoutMs: 90_000 });
    backends = new PodBackends(cluster, namespace);
    backends.start();
  });
  after(async () => {
    runner.killAll();
    await backends.stop();
    await cluster.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('given an empty directory, init writes a config, a template and a Service that doctor accepts and the first deploy uses', async () => {
    const init = await runner.cli(['init', '--platform', 'kubernetes', '--app', 'shop', '--namespace', namespace]);
    assert.equal(init.code, 0, explain(init));
    for (const file of ['cutover.yaml', 'k8s/deployment.yaml', 'k8s/service.yaml']) assert.ok(existsSync(join(dir, file)), `${file} was written`);
    const service: Json = parse(readFileSync(join(dir, 'k8s', 'service.yaml'), 'utf8'));
    assert.deepEqual(service.spec.selector, { app: 'shop', color: 'green' }, 'the Service selects app and a color, as cutover expects');

    // Nothing is overwritten: a second init refuses and leaves the user's edit alone.
    writeFileSync(join(dir, 'cutover.yaml'), readFileSync(join(dir, 'cutover.yaml'), 'utf8').replace('interval: 1s', 'interval: 200ms'));
    const edited = readFileSync(join(dir, 'cutover.yaml'), 'utf8');
    const again = await runner.cli(['init', '--platform', 'kubernetes', '--app', 'shop', '--namespace', namespace]);
    assert.equal(again.code, 2, explain(again));
    assert.match(again.json.error.message, /already exist.*nothing was written/);
    assert.equal(readFileSync(join(dir, 'cutover.yaml'), 'utf8'), edited);

    await cluster.kubectl(['apply', '-f', join(dir, 'k8s', 'service.yaml')]);
    const doctor = await runner.cli(['doctor']);
    assert.equal(doctor.code, 0, explain(doctor));
    const template = doctor.json.findings.find((f: Json) => f.check === 'template');
    assert.equal(template?.verdict, 'ok', explain(doctor));

    const deploy = await runner.cli(['deploy', 'v1']);
    assert.equal(deploy.code, 0, explain(deploy));
    const svc = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'service', 'shop', '-o', 'json']));
    assert.deepEqual(svc.spec.selector, { app: 'shop', color: 'blue' });
    const blue = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'deployment', 'shop-blue', '-o', 'json']));
    assert.equal(blue.spec.template.spec.containers[0].image, 'registry.example/shop:v1');
    assert.equal(blue.status.readyReplicas, 2);
  });

  test('given bad names, init exits 2 naming the flag and writes nothing', async () => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    const r = await runner.cli(['init', '--platform', 'kubernetes', '--app', 'Shop_API'], { config: join(sub, 'cutover.yaml') });
    assert.equal(r.code, 2, explain(r));
    assert.match(r.json.error.message, /--app: expected a DNS label/);
    const image = await runner.cli(['init', '--platform', 'kubernetes', '--image', 'registry.example/shop:latest'], { config: join(sub, 'cutover.yaml') });
    assert.equal(image.code, 2, explain(image));
    assert.match(image.json.error.message, /--image: .*\$\{version\}/);
    assert.equal(existsSync(join(sub, 'cutover.yaml')), false);
  });
});
