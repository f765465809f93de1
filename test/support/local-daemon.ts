import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleServerSource } from '../../src/demo/example-app.ts';
import { Daemon, type DaemonOptions } from '../../src/drivers/local/daemon.ts';
import { LocalDriver } from '../../src/drivers/local/local-driver.ts';
import type { ResolvedLocalPlatform } from '../../src/drivers/local/config-schema.ts';

/**
 * An in-process daemon over a temp directory with releases r1 and r2 of the example app, and a
 * driver talking to it over the real admin socket. `dispose()` stops everything it started.
 */
export class DaemonFixture {
  readonly dir: string;
  readonly stateDir: string;
  readonly options: DaemonOptions;
  readonly platform: ResolvedLocalPlatform;
  daemon: Daemon | null = null;
  readonly driver: LocalDriver;

  constructor(overrides: Partial<DaemonOptions> = {}, platform: Partial<ResolvedLocalPlatform> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'cutover-daemon-'));
    for (const version of ['r1', 'r2']) {
      mkdirSync(join(this.dir, 'releases', version), { recursive: true });
      writeFileSync(join(this.dir, 'releases', version, 'server.js'), exampleServerSource());
    }
    this.stateDir = join(this.dir, '.cutover');
    this.options = {
      stateDir: this.stateDir,
      router: { listen: { host: '127.0.0.1', port: 0 }, preview: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 1_000 },
      maintenance: { retryAfterSec: 5 },
      readyTimeoutMs: 10_000,
      ...overrides,
    };
    this.platform = {
      kind: 'local', command: ['node', 'server.js'], cwd: join(this.dir, 'releases', '${version}'), env: {}, replicas: 1,
      readyTimeoutMs: 10_000, stopTimeoutMs: 5_000, restart: { backoffMs: 100, maxBackoffMs: 1_000, crashLoopRestarts: 3, windowMs: 30_000 },
      ...platform,
    };
    this.driver = new LocalDriver(this.platform, this.stateDir);
  }

  async start(): Promise<Daemon> {
    this.daemon = await Daemon.start(this.options);
    return this.daemon;
  }

  /** Provisions `version` on `color`, waits for it, and (with `live`) switches traffic to it. */
  async run(color: 'blue' | 'green', version: string, live: boolean): Promise<void> {
    await this.driver.provision(color, { version }, {});
    await this.driver.waitReady(color, { timeoutMs: 10_000 });
    if (live) await this.driver.switchTraffic(color);
  }

  async dispose(): Promise<void> {
    await this.driver.close();
    await this.daemon?.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
