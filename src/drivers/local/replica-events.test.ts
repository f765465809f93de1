import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplicaEvent } from '../../core/driver.ts';
import { Daemon } from './daemon.ts';
import { LocalDriver } from './local-driver.ts';

/**
 * The supervisor's replica events, read the way the core reads them: through the local driver
 * and the daemon's admin API, with real processes.
 */
const SERVE = `const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
const SOURCES: Record<string, string> = {
  good: SERVE,
  // Listens, then dies with code 3 half a second later, each time it is restarted.
  'exit-later': `${SERVE}setTimeout(() => { console.error('boom: lost the database'); process.exit(3); }, 500);\n`,
  // Listens, then holds ever more memory until the supervisor kills it.
  leak: `${SERVE}const hoard = []; setInterval(() => hoard.push(Buffer.alloc(16 * 1024 * 1024, 1)), 50);\n`,
};

describe('replica events from the local supervisor', { concurrency: 1 }, () => {
  let dir: string;
  let daemon: Daemon;
  let driver: LocalDriver;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-events-'));
    for (const [version, source] of Object.entries(SOURCES)) {
      mkdirSync(join(dir, 'releases', version), { recursive: true });
      writeFileSync(join(dir, 'releases', version, 'server.js'), source);
    }
    const stateDir = join(dir, '.cutover');
    daemon = await Daemon.start({
      stateDir,
      router: { listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 1_000 },
      maintenance: { retryAfterSec: 5 },
      readyTimeoutMs: 10_000,
    });
    driver = new LocalDriver({
      kind: 'local', command: ['node', 'server.js'], cwd: join(dir, 'releases', '${version}'), env: {}, replicas: 1,
      readyTimeoutMs: 10_000, stopTimeoutMs: 2_000, restart: { backoffMs: 100, maxBackoffMs: 200, crashLoopRestarts: 3, windowMs: 30_000 },
      memoryLimitBytes: 128 * 1024 * 1024,
    }, stateDir);
  });
  after(async () => {
    await driver.close();
    await daemon.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function eventsUntil(color: 'blue' | 'green', since: number, done: (events: ReplicaEvent[]) => boolean, limitMs = 15_000): Promise<ReplicaEvent[]> {
    const seen: ReplicaEvent[] = [];
    let cursor = since;
    const deadline = Date.now() + limitMs;
    while (!done(seen)) {
      assert.ok(Date.now() < deadline, `events seen so far: ${JSON.stringify(seen)}`);
      const page = await driver.replicaEvents(color, { since: cursor, waitMs: 2_000 });
      assert.ok(page.cursor >= cursor, 'the cursor never goes back');
      seen.push(...page.events);
      cursor = page.cursor;
    }
    return seen;
  }

  test('a healthy release has no events, and a long poll with none returns after its wait', async () => {
    const since = Date.now();
    await driver.provision('blue', { version: 'good' }, {});
    await driver.waitReady('blue', { timeoutMs: 10_000 });
    const started = Date.now();
    const page = await driver.replicaEvents('blue', { since, waitMs: 300 });
    assert.deepEqual(page.events, []);
    assert.equal(page.desired, 1);
    assert.equal(page.ready, 1);
    assert.ok(Date.now() - started >= 250, 'the daemon held the poll for its wait');
  });

  test('exits are reported with code, restart count and the last stderr line, then a crash loop', async () => {
    const since = Date.now();
    await driver.provision('green', { version: 'exit-later' }, {});
    const events = await eventsUntil('green', since, (e) => e.some((x) => x.kind === 'crash-loop'));
    const exits = events.filter((e) => e.kind === 'exited');
    assert.ok(exits.length >= 3, JSON.stringify(events));
    assert.equal(exits[0]!.replica, 'green-0');
    assert.equal(exits[0]!.exitCode, 3);
    assert.equal(exits[0]!.restarts, 1);
    assert.equal(exits[1]!.restarts, 2);
    assert.match(exits[0]!.detail, /^green-0 exited with code 3: boom: lost the database$/);
    assert.match(exits[1]!.detail, /^green-0 exited with code 3 \(2 restarts in \d+\.\ds\): boom/);
    assert.match(events.find((e) => e.kind === 'crash-loop')!.detail, /green-0 is crash-looping: 3 crashes within 30s/);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids are unique');
    const times = events.map((e) => e.at);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    // Reading again from the start returns the same events with the same ids: idempotent.
    const again = await driver.replicaEvents('green', { since });
    assert.deepEqual(again.events.slice(0, events.length).map((e) => e.id), events.map((e) => e.id));
    await driver.retire('green');
  });

  test('a replica past its memory limit is killed and reported as a memory event', async () => {
    const since = Date.now();
    await driver.provision('green', { version: 'leak' }, {});
    const events = await eventsUntil('green', since, (e) => e.some((x) => x.kind === 'exited'));
    const memory = events.find((e) => e.kind === 'memory-limit');
    assert.ok(memory, JSON.stringify(events));
    assert.ok(memory.memoryBytes! > 128 * 1024 * 1024);
    assert.match(memory.detail, /^green-0 used \d+Mi of memory, past its 128Mi limit \(platform\.memoryLimit\); killed$/);
    assert.match(events.find((e) => e.kind === 'exited')!.detail, /^green-0 was killed for memory \(\d+Mi\)/);
    await driver.retire('green');
  });

  test('a rolling restart reports replaced replicas, which are not failures', async () => {
    const since = Date.now();
    await driver.setFlags('blue', { beta: true }, { rolling: true });
    const page = await driver.replicaEvents('blue', { since });
    assert.deepEqual(page.events.map((e) => e.kind), ['replaced']);
    assert.match(page.events[0]!.detail, /^blue-0 was replaced by a new process on port \d+ \(rolling restart\)$/);
  });
});
