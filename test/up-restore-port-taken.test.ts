// After `down` (or a reboot), `up` starts the last live release again on the ports its
// replicas had. Another program may have taken one of them meanwhile. The replica must move to
// a fresh port rather than crash-loop on the taken one, and the release must be brought back.
// Real CLI, real daemon and router, real replicas, a real socket holding the port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { explain } from './support/cli-runner.ts';
import { haproxySkip } from './support/haproxy.ts';
import { sample, ScenarioWorkspace } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const engine of ['node', 'haproxy'] as const) test(`given a replica's old port was taken while the daemon was down, when up brings the release back, then that replica serves on a fresh port (router.engine ${engine})`, { timeout: 180_000, skip: engine === 'haproxy' && haproxySkip() }, async () => {
  const ws = ScenarioWorkspace.create({ engine });
  // The other program answers HTTP too, so a request the router still sent to the old port
  // would show up in the sample as its answer.
  const holder = createServer((req, res) => res.writeHead(200, { 'x-cutover-version': 'another-program' }).end());
  try {
    await ws.up();
    const deploy = await ws.cli(['deploy', 'v1']);
    assert.equal(deploy.code, 0, explain(deploy));
    const down = await ws.cli(['down']);
    assert.equal(down.code, 0, explain(down));
    const oldPorts: number[] = ws.readDaemonSnapshot().colors.blue.replicas.map((r: Json) => r.port);
    assert.equal(oldPorts.length, 2);
    const taken = oldPorts[1]!;
    await new Promise<void>((resolve, reject) => {
      holder.once('error', reject);
      holder.listen(taken, '127.0.0.1', resolve);
    });

    const up = await ws.cli(['up']);
    assert.equal(up.code, 0, explain(up));
    assert.equal(up.json.restore?.state, 'live', JSON.stringify(up.json.restore));
    assert.deepEqual(await sample(up.json.addresses.main, 10), ['200 v1']);
    const status = await ws.cli(['status']);
    assert.deepEqual([status.json.colors.blue.ready, status.json.colors.blue.desired], [2, 2], status.stdout);
    const ports: number[] = ws.readDaemonSnapshot().colors.blue.replicas.map((r: Json) => r.port);
    assert.equal(ports[0], oldPorts[0], 'the replica whose port was free keeps it');
    assert.notEqual(ports[1], taken, 'the replica whose port was taken moved');
    const log = readFileSync(join(ws.dir, '.cutover', 'logs', 'blue-1.err.log'), 'utf8');
    assert.match(log, new RegExp(`cutover: port ${taken} is held by another socket; blue-1 starts on port ${ports[1]} instead`));
  } finally {
    holder.close();
    await ws.dispose();
  }
});
