// The core side of Kubernetes guardrails, against a platform that reports pod events through
// the replica-event interface: pod events act at once, the core never switches to or stays on
// a color with fewer ready pods than desired, and a pod the ReplicaSet replaced is no failure.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreDeps } from '../deps.ts';
import { deploy } from '../operations/deploy.ts';
import { FileStateStore } from '../../drivers/local/file-store.ts';
import { PodEventDriver, passingVerifier } from '../../../test/support/pod-event-driver.ts';

const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };

async function withPlatform(run: (driver: PodEventDriver, deps: CoreDeps) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-pods-'));
  const driver = new PodEventDriver(3);
  const deps: CoreDeps = {
    driver,
    store: new FileStateStore(dir),
    verifier: passingVerifier,
    gate: { interactive: false, confirm: async () => true },
    reporter: quiet,
    settings: {
      app: 'pods', provisionTimeoutMs: 5_000, gate: 'auto', requireHealthyLive: true,
      monitor: { durationMs: 20_000, intervalMs: 200, failureThreshold: 3 },
      scaleDown: { delayMs: 0, replicas: 0 },
    },
    holder: { pid: process.pid, host: 'test', command: 'test' },
  };
  try {
    await run(driver, deps);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `action` `delayMs` after traffic moves to green, i.e. inside the bake window. */
function afterSwitchToGreen(driver: PodEventDriver, delayMs: number, action: () => void): void {
  const switchTraffic = driver.switchTraffic.bind(driver);
  driver.switchTraffic = async (to) => {
    const result = await switchTraffic(to);
    if (to === 'green') setTimeout(action, delayMs);
    return result;
  };
}

/**
 * The status and the event stream are two reads: the worst interleaving is the status showing a
 * failure whose event only arrives just after that read. The event follows the first status read
 * that shows it by 100 ms.
 */
function eventLagsStatus(driver: PodEventDriver, event: Parameters<PodEventDriver['emit']>[0]): void {
  const status = driver.status.bind(driver);
  let sent = false;
  driver.status = async () => {
    const s = await status();
    if (!sent) { sent = true; setTimeout(() => driver.emit(event), 100); }
    return s;
  };
}

const monitorOf = (r: { phases: Array<{ name: string; status: string; detail: string; durationMs: number; data?: unknown }> }) => r.phases.find((p) => p.name === 'monitor')!;

describe('pod guardrails in the core', { concurrency: 1 }, () => {
  test('an OOMKilled pod during the bake window rolls back at once, naming the pod', async () => {
    await withPlatform(async (driver, deps) => {
      assert.equal((await deploy(deps, 'v1', {})).outcome, 'promoted');
      afterSwitchToGreen(driver, 300, () => driver.emit({ kind: 'oom-killed', color: 'green', replica: 'pods-green-7d9f-x2k', restarts: 1, detail: 'pod pods-green-7d9f-x2k OOMKilled (restart 1)' }));
      const r = await deploy(deps, 'v2', {});
      assert.equal(r.outcome, 'rolled_back');
      assert.deepEqual(r.live, { color: 'blue', version: 'v1' });
      const monitor = monitorOf(r);
      assert.match(monitor.detail, /^pod pods-green-7d9f-x2k OOMKilled \(restart 1\) at \+0\.\ds after the switch; bake window ended after/);
      assert.ok(monitor.durationMs < 2_000, `acted after ${monitor.durationMs}ms, not at once`);
      assert.deepEqual(driver.switches, ['blue', 'green', 'blue']);
    });
  });

  test('a ready count that drops below desired rolls back, with no event at all', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      afterSwitchToGreen(driver, 300, () => { driver.colors.green.ready = 2; });
      const r = await deploy(deps, 'v2', {});
      assert.equal(r.outcome, 'rolled_back');
      assert.match(monitorOf(r).detail, /^green has 2\/3 replicas ready for 2 readings in a row/);
      assert.equal((monitorOf(r).data as { verdict: { signal: string } }).verdict.signal, 'ready-count');
    });
  });

  test('a pod the ReplicaSet replaced is not a failure: the release is promoted', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      deps = { ...deps, settings: { ...deps.settings, monitor: { ...deps.settings.monitor, durationMs: 1_500 } } };
      afterSwitchToGreen(driver, 200, () => {
        driver.emit({ kind: 'replaced', color: 'green', replica: 'pods-green-7d9f-a1', restarts: 0, detail: 'pod pods-green-7d9f-a1 was evicted and replaced by its ReplicaSet' });
        driver.colors.green.ready = 2;
        setTimeout(() => { driver.colors.green.ready = 3; }, 700);
      });
      const r = await deploy(deps, 'v2', {});
      assert.equal(r.outcome, 'promoted', r.message);
      assert.match(monitorOf(r).detail, /1 replica\(s\) replaced by the platform/);
    });
  });

  test('never switches to a color with fewer ready pods than desired', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      const provision = driver.provision.bind(driver);
      driver.provision = async (color, release) => { await provision(color, release); driver.colors[color].ready = 2; };
      const r = await deploy(deps, 'v2', {});
      assert.equal(r.outcome, 'failed');
      assert.match(r.message, /green is not stable: 2\/3 ready/);
      assert.deepEqual(driver.switches, ['blue'], 'traffic never moved to green');
    });
  });

  test('a pod that restarted between provision and the switch refuses the switch', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      const provision = driver.provision.bind(driver);
      driver.provision = async (color, release) => {
        await provision(color, release);
        setTimeout(() => driver.emit({ kind: 'exited', color, replica: 'pods-green-7d9f-b2', restarts: 1, exitCode: 1, detail: 'pod pods-green-7d9f-b2 container app exited with code 1 (restart 1)' }), 20);
      };
      const r = await deploy({ ...deps, settings: { ...deps.settings, stableForMs: 300 } }, 'v2', {});
      assert.equal(r.outcome, 'failed');
      assert.match(r.message, /pod pods-green-7d9f-b2 container app exited with code 1 \(restart 1\) at \+\d\.\ds after it became ready; a replica must not exit or restart between provision and the switch/);
      assert.deepEqual(driver.switches, ['blue']);
    });
  });

  test('when the status shows an exit before its event arrives, verify still names the replica and its exit', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      const provision = driver.provision.bind(driver);
      driver.provision = async (color, release) => {
        await provision(color, release);
        setTimeout(() => {
          driver.colors[color].ready = 2;
          eventLagsStatus(driver, { kind: 'exited', color, replica: 'pods-green-7d9f-c3', restarts: 1, exitCode: 1, detail: 'pod pods-green-7d9f-c3 container app exited with code 1 (restart 1)' });
        }, 20);
      };
      const r = await deploy({ ...deps, settings: { ...deps.settings, stableForMs: 300 } }, 'v2', {});
      assert.equal(r.outcome, 'failed');
      assert.match(r.message, /pod pods-green-7d9f-c3 container app exited with code 1 \(restart 1\) at \+\d\.\ds after it became ready; a replica must not exit/);
      assert.deepEqual(driver.switches, ['blue']);
    });
  });

  test('a crash loop in the status names the pod event behind it, when that event follows a moment later', async () => {
    await withPlatform(async (driver, deps) => {
      await deploy(deps, 'v1', {});
      afterSwitchToGreen(driver, 300, () => {
        driver.colors.green.crashLooping = true;
        driver.colors.green.ready = 2;
        eventLagsStatus(driver, { kind: 'crash-loop', color: 'green', replica: 'pods-green-7d9f-d4', restarts: 3, detail: 'pod pods-green-7d9f-d4 container app is in CrashLoopBackOff after 3 restarts' });
      });
      const r = await deploy(deps, 'v2', {});
      assert.equal(r.outcome, 'rolled_back');
      assert.equal((monitorOf(r).data as { verdict: { signal: string } }).verdict.signal, 'replica-events', monitorOf(r).detail);
      assert.match(monitorOf(r).detail, /^pod pods-green-7d9f-d4 container app is in CrashLoopBackOff after 3 restarts/);
    });
  });
});
