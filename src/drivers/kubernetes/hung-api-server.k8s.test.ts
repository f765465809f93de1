// An API server that accepts connections and never answers: cutover must say so within
// platform.apiTimeout and leave the record as it was. The hung server is a loopback TCP
// listener; the kubeconfig is the test cluster's, with only the server address changed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP, explain, K8sWorkspace, SERVICE } from '../../../test/support/k8s-workspace.ts';

describe('kubernetes: a hung API server', () => {
  let ws: K8sWorkspace;
  let hungKubeconfig: string;
  const sockets = new Set<net.Socket>();
  const hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  before(async () => {
    ws = await K8sWorkspace.create('scn-hung', { replicas: 2, apiTimeout: '2s' });
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const port = (hung.address() as net.AddressInfo).port;
    const real = readFileSync(process.env.KUBECONFIG!, 'utf8');
    hungKubeconfig = join(ws.dir, 'hung-kubeconfig');
    writeFileSync(hungKubeconfig, real.replace(/server: https:\/\/[^\s]+/g, `server: https://127.0.0.1:${port}`));
    assert.notEqual(readFileSync(hungKubeconfig, 'utf8'), real, 'the kubeconfig now points at the hung server');
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    hung.close();
    await ws.dispose();
  });

  test('status reports the hung API server within a few seconds, naming the timeout', async () => {
    const started = Date.now();
    const r = await ws.cli(['status'], { env: { KUBECONFIG: hungKubeconfig }, timeoutMs: 60_000 });
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json?.error?.code, 'unreachable', explain(r));
    assert.match(r.stderr, /did not answer within 2s \(platform\.apiTimeout\)/, explain(r));
    // 2 s of timeout plus the CLI's own start-up on a loaded machine; it used to take ~150 s.
    assert.ok(elapsed < 10_000, `status took ${elapsed} ms`);
  });

  test('deploy fails within a few seconds and the record in the cluster is exactly as it was', async () => {
    const before = await ws.readState();
    const leaseBefore = await ws.kubectlJson(['get', 'lease', `${APP}-cutover`]).catch(() => null);
    const started = Date.now();
    const r = await ws.cli(['deploy', 'v2'], { env: { KUBECONFIG: hungKubeconfig }, timeoutMs: 60_000 });
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json?.error?.code, 'unreachable', explain(r));
    assert.match(r.stderr, /did not answer within 2s/, explain(r));
    assert.ok(elapsed < 10_000, `deploy took ${elapsed} ms`);
    // The witness, through the real API server: nothing was recorded, nothing moved.
    assert.deepEqual(await ws.readState(), before);
    const leaseAfter = await ws.kubectlJson(['get', 'lease', `${APP}-cutover`]).catch(() => null);
    assert.equal(leaseAfter?.spec?.holderIdentity ?? null, leaseBefore?.spec?.holderIdentity ?? null);
    assert.equal((await ws.kubectlJson(['get', 'service', SERVICE])).spec.selector.color, 'blue');
  });
});
