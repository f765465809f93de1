import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PlatformDriver } from '../../src/core/driver.ts';
import { CutoverError } from '../../src/core/errors.ts';

/** What a driver's test gives the contract suite. */
export interface DriverFixture {
  driver: PlatformDriver;
  /** A version the platform can run and that passes its readiness. */
  goodVersion: string;
  /** A second good version. */
  otherVersion: string;
  /** Reads the version that answers a request on the live (main) address, or null when none can be reached from the test. */
  liveVersion(): Promise<string | null>;
  /** The flags (the parsed FEATURE_FLAGS_JSON) that the replica answering on the live address was started with, or null when none can be reached. */
  liveFlags(): Promise<unknown>;
  /** Stops everything the fixture started. */
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Tests this driver cannot run, each with the reason (printed as the skip message). */
  skip?: Partial<Record<ContractCase, string>>;
  timeoutMs?: number;
}

export type ContractCase = 'logs' | 'flags' | 'maintenance' | 'live-version';

/**
 * The behaviour every platform driver promises, run against a real platform: idempotent
 * provisioning, readiness, check targets, an idempotent switch with proof, progressive steps
 * (where the driver has them), retire, flags, maintenance and logs. Cases run in order and build on each other, like a release does.
 */
export function driverContract(name: string, makeFixture: () => Promise<DriverFixture>, options: ContractOptions = {}): void {
  const timeout = options.timeoutMs ?? 120_000;
  const skip = options.skip ?? {};
  describe(`driver contract: ${name}`, { timeout }, () => {
    let f: DriverFixture;
    before(async () => { f = await makeFixture(); });
    after(async () => { await f?.cleanup(); });

    test('status before anything runs: no live color, nothing desired', async () => {
      const status = await f.driver.status();
      assert.equal(status.live, null);
      assert.equal(status.colors.blue.desired, 0);
      assert.equal(status.colors.green.desired, 0);
    });

    test('provision + waitReady brings every replica of a color up', async () => {
      await f.driver.provision('blue', { version: f.goodVersion }, {});
      const ready = await f.driver.waitReady('blue', { timeoutMs: 60_000 });
      assert.ok(ready.desired > 0);
      assert.equal(ready.ready, ready.desired);
      const status = await f.driver.status();
      assert.equal(status.colors.blue.version, f.goodVersion);
      assert.equal(status.colors.blue.ready, status.colors.blue.desired);
    });

    test('provision is idempotent: the same release again changes nothing and stays ready', async () => {
      const before = await f.driver.targets('blue');
      await f.driver.provision('blue', { version: f.goodVersion }, {});
      const ready = await f.driver.waitReady('blue', { timeoutMs: 30_000 });
      assert.equal(ready.ready, ready.desired);
      const afterTargets = await f.driver.targets('blue');
      assert.deepEqual(afterTargets.replicas.map((r) => r.url).sort(), before.replicas.map((r) => r.url).sort(), 'no replica was replaced');
    });

    test('targets name a preview address and one entry per replica', async () => {
      const targets = await f.driver.targets('blue');
      assert.match(targets.preview, /^https?:\/\//);
      const status = await f.driver.status();
      assert.equal(targets.replicas.length, status.colors.blue.desired);
    });

    test('switchTraffic moves live traffic and verifyTraffic proves it; a second switch is a no-op', async () => {
      const first = await f.driver.switchTraffic('blue');
      assert.equal(first.to, 'blue');
      const proof = await f.driver.verifyTraffic('blue');
      assert.equal(proof.ok, true, proof.detail);
      assert.equal((await f.driver.status()).live, 'blue');
      const again = await f.driver.switchTraffic('blue');
      assert.equal(again.to, 'blue');
      assert.equal((await f.driver.verifyTraffic('blue')).ok, true);
    });

    test('verifyTraffic says no, without throwing, for the color that is not live', async () => {
      const proof = await f.driver.verifyTraffic('green');
      assert.equal(proof.ok, false);
      assert.ok(proof.detail.length > 0);
    });

    test('the live address answers with the live release', { skip: skip['live-version'] }, async () => {
      assert.equal(await f.liveVersion(), f.goodVersion);
    });

    test('blue to green: provision the idle color, switch, and the live address follows', async () => {
      await f.driver.provision('green', { version: f.otherVersion }, {});
      await f.driver.waitReady('green', { timeoutMs: 60_000 });
      await f.driver.switchTraffic('green');
      const proof = await f.driver.verifyTraffic('green');
      assert.equal(proof.ok, true, proof.detail);
      if (!skip['live-version']) assert.equal(await f.liveVersion(), f.otherVersion);
    });

    test('progressive steps: shiftTraffic with a sticky cookie or header and a cohort, verifySplit proves each, endSplit ends it', async (t) => {
      const d = f.driver;
      if (!d.shiftTraffic || !d.verifySplit || !d.endSplit) return t.skip('this driver has no progressive steps');
      // Green is live, blue still runs: blue is the canary.
      const byCookie = { sticky: { cookie: 'cutover_split' }, cohort: { header: { name: 'x-contract-cohort', values: ['testers'] } } };
      for (const percent of [10, 50]) {
        assert.equal((await d.shiftTraffic('blue', percent, byCookie)).to, 'blue');
        const stepProof = await d.verifySplit('blue', percent, byCookie);
        assert.equal(stepProof.ok, true, stepProof.detail);
      }
      assert.equal((await d.verifySplit('blue', 25, byCookie)).ok, false, 'a share that is not in force is not proven');
      const byHeader = { sticky: { header: 'x-contract-user' }, cohort: { cookie: { name: 'contract_beta', values: ['1'] } } };
      await d.shiftTraffic('blue', 20, byHeader);
      const proof = await d.verifySplit('blue', 20, byHeader);
      assert.equal(proof.ok, true, proof.detail);
      await d.endSplit();
      await d.endSplit();
      const back = await d.verifyTraffic('green');
      assert.equal(back.ok, true, back.detail);
      assert.equal((await d.status()).live, 'green');
    });

    test('retire scales the old color down and is idempotent', async () => {
      await f.driver.retire('blue', { replicas: 0 });
      await f.driver.retire('blue', { replicas: 0 });
      const status = await f.driver.status();
      assert.equal(status.colors.blue.ready, 0);
      assert.equal(status.live, 'green');
    });

    test('retiring the live color is refused', async () => {
      await assert.rejects(() => f.driver.retire('green'), (err: unknown) => err instanceof CutoverError);
      assert.equal((await f.driver.status()).colors.green.ready > 0, true);
    });

    test('setFlags restarts the color with FEATURE_FLAGS_JSON and it stays serving', { skip: skip.flags }, async () => {
      const flags = { contract: true, rollout: { percent: 20 } };
      await f.driver.setFlags('green', flags, { rolling: true });
      await f.driver.waitReady('green', { timeoutMs: 60_000 });
      assert.equal((await f.driver.verifyTraffic('green')).ok, true);
      if (!skip['live-version']) assert.deepEqual(await f.liveFlags(), flags);
    });

    test('maintenance on and off', { skip: skip.maintenance }, async () => {
      await f.driver.maintenance(true, 'contract test');
      assert.equal((await f.driver.status()).maintenance.on, true);
      await f.driver.maintenance(false);
      assert.equal((await f.driver.status()).maintenance.on, false);
      assert.equal((await f.driver.status()).live, 'green');
    });

    test('logs yields lines from the color without following forever', { skip: skip.logs }, async () => {
      const lines: string[] = [];
      for await (const line of f.driver.logs('green', { tail: 20 })) {
        assert.equal(line.color, 'green');
        lines.push(line.line);
      }
      assert.ok(lines.length > 0, 'some log lines');
    });
  });
}
