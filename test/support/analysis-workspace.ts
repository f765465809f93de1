import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, type CommandContext } from '../../src/cli/context.ts';
import { runDaemonInForeground } from '../../src/cli/commands/run-daemon.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { CoreDeps, Reporter } from '../../src/core/deps.ts';
import type { Daemon } from '../../src/drivers/local/daemon.ts';

/** How one release of the scenario app behaves on `/api` (health endpoints always answer 200). */
export interface AppBehaviour {
  /** Milliseconds each `/api` request takes (±20% jitter); default 2. */
  delayMs?: number;
  /** Every `failEvery`-th `/api` request answers 500 (20 = 5%); default never. */
  failEvery?: number;
  /** Failures start this long after the first `/api` request, i.e. once real traffic arrives; default 0. */
  failAfterMs?: number;
}

/**
 * A dependency-free service whose misbehaviour is deterministic: the n-th request fails, not a
 * random one, so a 5% error rate is exactly 5% in every window.
 */
export function scenarioAppSource(behaviour: AppBehaviour): string {
  return `const http = require('node:http');
const b = ${JSON.stringify({ delayMs: 2, failEvery: 0, failAfterMs: 0, ...behaviour })};
const color = process.env.CUTOVER_COLOR, version = process.env.CUTOVER_VERSION;
let firstApi = 0, n = 0;
const server = http.createServer((req, res) => {
  const headers = { 'content-type': 'application/json', 'x-cutover-color': color, 'x-cutover-version': version };
  if (!req.url.startsWith('/api')) { res.writeHead(200, headers); return res.end('{"status":"ok"}'); }
  if (!firstApi) firstApi = Date.now();
  n++;
  const fail = b.failEvery > 0 && Date.now() - firstApi >= b.failAfterMs && n % b.failEvery === 0;
  setTimeout(() => { res.writeHead(fail ? 500 : 200, headers); res.end(JSON.stringify({ version, color })); }, b.delayMs * (0.8 + 0.4 * Math.random()));
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 3000).unref(); });
`;
}

/** The fixed part of every scenario config: one replica, fast health checks, a short bake window. */
export function baseConfig(extra: { monitor?: string; metricsListener?: boolean } = {}): string {
  return `app: analysis-scenario
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
  replicas: 1
  readyTimeout: 10s
  stopTimeout: 2s
router:
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
${extra.metricsListener ? '  metrics: 127.0.0.1:0\n' : ''}  drainTimeout: 2s
health:
  checks:
    - http: /health/live
  interval: 100ms
  successes: 2
  timeout: 5s
  stableFor: 500ms
monitor:
  duration: ${extra.monitor ?? '2s'}
  interval: 500ms
scaleDown:
  delay: 0s
`;
}

/** A temporary app directory with an in-process daemon; deploys run through the core API. */
export class AnalysisWorkspace {
  readonly dir: string;
  readonly configPath: string;
  readonly daemon: Daemon;
  private readonly contexts: CommandContext[] = [];
  /** Every warning the core printed (holds, failed metrics). */
  readonly warnings: string[] = [];

  private constructor(dir: string, configPath: string, daemon: Daemon) {
    this.dir = dir;
    this.configPath = configPath;
    this.daemon = daemon;
  }

  static async create(releases: Record<string, AppBehaviour>, config: string): Promise<AnalysisWorkspace> {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-analysis-'));
    try {
      for (const [version, behaviour] of Object.entries(releases)) {
        mkdirSync(join(dir, 'releases', version), { recursive: true });
        writeFileSync(join(dir, 'releases', version, 'server.js'), scenarioAppSource(behaviour));
      }
      const configPath = join(dir, 'cutover.yaml');
      writeFileSync(configPath, config);
      const daemon = await runDaemonInForeground(loadConfig(configPath));
      return new AnalysisWorkspace(dir, configPath, daemon);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get mainUrl(): string {
    return this.daemon.router.address.main;
  }

  /** Core deps for `config` (written to cutover.yaml first), with a quiet reporter that keeps warnings. */
  async deps(config?: string): Promise<CoreDeps> {
    if (config !== undefined) writeFileSync(this.configPath, config);
    const ctx = await openContext({ config: this.configPath, yes: true }, 'analysis scenario');
    ctx.reporter.close();
    this.contexts.push(ctx);
    const reporter: Reporter = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn: (text) => { this.warnings.push(text); } };
    return { ...ctx.deps, reporter };
  }

  /** Stops the daemon and every process it started, and removes the directory. */
  async close(): Promise<void> {
    for (const ctx of this.contexts) await ctx.close().catch(() => {});
    await this.daemon.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
