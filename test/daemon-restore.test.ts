// A daemon killed with SIGKILL leaves its record and its replicas behind; the next `cutover up`
// must serve exactly what the dead one served, and real requests are the proof.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { loadConfig } from '../src/config/load.ts';
import type { ResolvedLocalPlatform } from '../src/drivers/local/config-schema.ts';
import { LocalDriver } from '../src/drivers/local/local-driver.ts';
import { isProcessAlive } from '../src/process/process-alive.ts';
import { adminRaw } from './support/admin-raw.ts';
import { explain } from './support/cli-runner.ts';
import { until } from './support/until.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const STICKY_HEADER = 'x-user';

/** One GET on a fresh connection as `user`: the status, the color that answered, and Retry-After. */
function getAs(base: string, user: string): Promise<{ status: number; color: string | null; version: string | null; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/', base), { agent: false, timeout: 5_000, headers: { [STICKY_HEADER]: user } }, (res) => {
      res.resume();
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        color: (res.headers['x-cutover-color'] as string | undefined) ?? null,
        version: (res.headers['x-cutover-version'] as string | undefined) ?? null,
        retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
      }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET / on ${base} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Which color (and version) answers each user, failing on any answer that is not a 200. */
async function routing(base: string): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const user of USERS) {
    const answer = await getAs(base, user);
    assert.equal(answer.status, 200, `${user} got ${answer.status}`);
    seen[user] = `${answer.color} ${answer.version}`;
  }
  return seen;
}

async function workerPid(ws: ScenarioWorkspace): Promise<number> {
  const r = await adminRaw(`${ws.dir}/.cutover/daemon.sock`, 'GET', '/status');
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { workerPid: number }).workerPid;
}

/**
 * Given blue v1 live, green v2 holding a sticky 30% share, and maintenance on,
 * when the whole daemon (keeper and worker) is killed with SIGKILL and `cutover up` runs again,
 * then live traffic gets the maintenance page again, and once maintenance is off every user
 * lands on the color it landed on before the crash, served by the replicas that outlived it.
 */
test('after kill -9 of the daemon, `up` restores the live color, the weighted split and maintenance, and serves them', { timeout: 180_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  const config = loadConfig(ws.configPath);
  const driver = new LocalDriver(config.platform as ResolvedLocalPlatform, config.stateDir);
  try {
    const first = await ws.up();
    const deployed = await ws.cli(['deploy', 'v1']);
    assert.equal(deployed.code, 0, explain(deployed));
    await driver.provision('green', { version: 'v2' }, {});
    await driver.waitReady('green', { timeoutMs: 20_000 });
    await driver.admin.send('PUT /split', { body: { weights: { blue: 70, green: 30 }, stickyHeader: STICKY_HEADER } });

    const before = await routing(first.main);
    const colors = new Set(Object.values(before));
    assert.deepEqual([...colors].sort(), ['blue v1', 'green v2'], 'both colors take a share before the crash');

    const on = await ws.cli(['maintenance', 'on', '--message', 'restore test']);
    assert.equal(on.code, 0, explain(on));
    assert.equal((await getAs(first.main, USERS[0]!)).status, 503);

    const replicaPids = ['blue', 'green'].flatMap((c) => ws.readDaemonSnapshot().colors[c].replicas.map((r: { pid: number }) => r.pid));
    const keeper = ws.daemonPid();
    const worker = await workerPid(ws);
    // The worker runs in the keeper's process group (the keeper leads it; replicas have groups of their own).
    process.kill(-keeper, 'SIGKILL');
    await until('the daemon to die', async () => [keeper, worker].filter(isProcessAlive), (alive) => alive.length === 0, 10_000);
    await assert.rejects(getAs(first.main, USERS[0]!), 'nothing answers on the main listener while no daemon runs');
    assert.deepEqual(replicaPids.filter((pid) => !isProcessAlive(pid)), [], 'every replica outlived the daemon');

    const second = await ws.up();
    assert.notEqual(ws.daemonPid(), keeper, 'a new daemon serves');

    const maintenancePage = await getAs(second.main, USERS[0]!);
    assert.equal(maintenancePage.status, 503, 'maintenance is still on after the crash');
    assert.ok(maintenancePage.retryAfter, 'the maintenance page carries Retry-After');

    const off = await ws.cli(['maintenance', 'off']);
    assert.equal(off.code, 0, explain(off));
    assert.deepEqual(await routing(second.main), before, 'every user lands on the same color as before the crash');

    const adopted = ['blue', 'green'].flatMap((c) => ws.readDaemonSnapshot().colors[c].replicas.map((r: { pid: number }) => r.pid));
    assert.deepEqual(adopted.sort(), replicaPids.sort(), 'the new daemon adopted the replicas instead of starting new ones');
  } finally {
    await driver.close();
    await ws.dispose();
  }
});
