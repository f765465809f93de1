import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { driverContract } from '../../../test/support/driver-contract.ts';
import { exampleServerSource } from '../../demo/example-app.ts';
import { Daemon } from './daemon.ts';
import { LocalDriver } from './local-driver.ts';

import type { RouterEngine } from './data-plane.ts';
import { haproxySkip } from '../../../test/support/haproxy.ts';

// The same contract against both data planes (router.engine); haproxy only where it is installed.
for (const engine of (haproxySkip() ? ['node'] : ['node', 'haproxy']) as readonly RouterEngine[]) driverContract(engine === 'node' ? 'local' : 'local, router.engine haproxy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-contract-'));
  for (const version of ['c1', 'c2']) {
    mkdirSync(join(dir, 'releases', version), { recursive: true });
    writeFileSync(join(dir, 'releases', version, 'server.js'), exampleServerSource());
  }
  const stateDir = join(dir, '.cutover');
  const daemon = await Daemon.start({
    stateDir,
    router: { engine, listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 2_000 },
    maintenance: { retryAfterSec: 5 },
    readyTimeoutMs: 10_000,
  });
  const driver = new LocalDriver({
    kind: 'local', command: ['node', 'server.js'], cwd: join(dir, 'releases', '${version}'), env: {}, replicas: 2,
    readyTimeoutMs: 10_000, stopTimeoutMs: 5_000, restart: { backoffMs: 100, maxBackoffMs: 1_000, crashLoopRestarts: 3, windowMs: 30_000 },
  }, stateDir);
  return {
    driver,
    goodVersion: 'c1',
    otherVersion: 'c2',
    async liveVersion() {
      const response = await request(`${daemon.router.address.main}/`);
      await response.body.dump();
      return (response.headers['x-cutover-version'] as string | undefined) ?? null;
    },
    async liveFlags() {
      // The example app answers GET / with the FEATURE_FLAGS_JSON it was started with.
      const response = await request(`${daemon.router.address.main}/`);
      return ((await response.body.json()) as { flags?: unknown }).flags ?? null;
    },
    async cleanup() {
      await driver.close();
      await daemon.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
