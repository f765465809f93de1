import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleServerSource } from '../../src/demo/example-app.ts';
import { CliRunner, type CliResult, type RunningCli } from './cli-runner.ts';

export type { CliResult, RunningCli };

const DEFAULT_CLI_TIMEOUT_MS = 60_000;

/** The version whose smoke test fails (the smoke script checks for it). */
export const SMOKE_FAIL_VERSION = 'v-smokefail';

/** Settings that scenarios vary; everything else is fast and fixed. */
export interface ConfigOptions {
  monitorDuration?: string;
  healthTimeout?: string;
  /** router.engine; default node. */
  engine?: 'node' | 'haproxy';
}

/** One answer from the main (or preview) listener. */
export interface HttpAnswer {
  status: number;
  version: string | null;
  color: string | null;
}

function configText(options: ConfigOptions): string {
  return `app: scenario-shop
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
  replicas: 2
  readyTimeout: 10s
  stopTimeout: 2s
  restart:
    backoff: 100ms
    maxBackoff: 400ms
router:
  engine: ${options.engine ?? 'node'}
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
  drainTimeout: 2s
health:
  checks:
    - http: /health/live
    - http: /health/ready
      expectStatus: 200
      json: checks
      maxLatency: 2s
  interval: 200ms
  successes: 2
  timeout: ${options.healthTimeout ?? '4s'}
  stableFor: 500ms
smoke:
  - run: ./scripts/smoke-test.sh
monitor:
  duration: ${options.monitorDuration ?? '1s'}
  interval: 250ms
scaleDown:
  delay: 200ms
`;
}

// A shell script rather than the demo's node-based smoke test: it starts in milliseconds, which
// keeps every deploy in the scenario suite short on a shared 2-core machine.
const SMOKE_SCRIPT = `#!/bin/sh
if [ "$CUTOVER_VERSION" = "${SMOKE_FAIL_VERSION}" ]; then
  echo "smoke: checkout flow returned 500 on $CUTOVER_TARGET_URL for $CUTOVER_VERSION" >&2
  exit 1
fi
echo "smoke ok: $CUTOVER_VERSION on $CUTOVER_TARGET_URL"
`;

const CRASH_SERVER = `console.error('fatal: DATABASE_URL is not set');
process.exit(1);
`;

/**
 * A temporary app directory for one scenario: releases v1, v2 and v3 (good), `bad-health`
 * (its /health/ready reports the database down), `crash` (exits 1 at start) and
 * `v-smokefail` (a good server whose smoke test fails), plus `cutover.yaml` with fast settings.
 * `dispose()` runs `cutover down`, kills any CLI process still running and removes the directory.
 */
export class ScenarioWorkspace {
  readonly dir: string;
  readonly configPath: string;
  private readonly runner: CliRunner;

  private constructor(dir: string) {
    this.dir = dir;
    this.configPath = join(dir, 'cutover.yaml');
    this.runner = new CliRunner({ cwd: dir, config: this.configPath, timeoutMs: DEFAULT_CLI_TIMEOUT_MS });
  }

  static create(options: ConfigOptions = {}): ScenarioWorkspace {
    const ws = new ScenarioWorkspace(mkdtempSync(join(tmpdir(), 'cutover-scenario-')));
    const releases: Array<[string, string]> = [
      ['v1', exampleServerSource()],
      ['v2', exampleServerSource()],
      ['v3', exampleServerSource()],
      [SMOKE_FAIL_VERSION, exampleServerSource()],
      ['bad-health', exampleServerSource({ broken: true })],
      ['crash', CRASH_SERVER],
    ];
    for (const [version, source] of releases) {
      mkdirSync(join(ws.dir, 'releases', version), { recursive: true });
      writeFileSync(join(ws.dir, 'releases', version, 'server.js'), source);
    }
    mkdirSync(join(ws.dir, 'scripts'));
    writeFileSync(join(ws.dir, 'scripts', 'smoke-test.sh'), SMOKE_SCRIPT);
    chmodSync(join(ws.dir, 'scripts', 'smoke-test.sh'), 0o755);
    writeFileSync(ws.configPath, configText(options));
    return ws;
  }

  /** Writes another config for the same app and state directory, with different settings. */
  writeConfig(name: string, options: ConfigOptions): string {
    const path = join(this.dir, name);
    writeFileSync(path, configText(options));
    return path;
  }

  /** Starts `cutover <args> --config <config> --json` with CI=true and no stdin. */
  start(args: string[], options: { config?: string; timeoutMs?: number } = {}): RunningCli {
    return this.runner.start(args, options);
  }

  /** Runs `cutover <args>` to completion. */
  cli(args: string[], options: { config?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return this.runner.cli(args, options);
  }

  /** `cutover up --json`; returns the main and preview addresses. Throws when up fails. */
  async up(): Promise<{ main: string; preview: string; pid: number }> {
    const r = await this.cli(['up']);
    if (r.code !== 0 || !r.json?.addresses?.main) throw new Error(`cutover up exited ${r.code}: ${r.stderr}${r.stdout}`);
    return { main: r.json.addresses.main, preview: r.json.addresses.preview, pid: r.json.pid };
  }

  /** The state record (`.cutover/state.json`), or null when it does not exist or is mid-replace. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readState(): any {
    try {
      return JSON.parse(readFileSync(join(this.dir, '.cutover', 'state.json'), 'utf8'));
    } catch {
      return null;
    }
  }

  /** The daemon's own record (`.cutover/daemon.json`: live color, replicas and their pids), or null. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readDaemonSnapshot(): any {
    try {
      return JSON.parse(readFileSync(join(this.dir, '.cutover', 'daemon.json'), 'utf8'));
    } catch {
      return null;
    }
  }

  daemonPid(): number {
    return Number(readFileSync(join(this.dir, '.cutover', 'daemon.pid'), 'utf8').trim());
  }

  /**
   * Polls the state record until the running operation is at `phase` (or `until` holds).
   * Throws when it does not happen within `timeoutMs`, naming the phases it saw.
   */
  async waitForPhase(phase: string, timeoutMs = 20_000, pollMs = 10): Promise<void> {
    const seen = new Set<string>();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const op = this.readState()?.operation;
      if (op?.phase) seen.add(op.phase);
      if (op?.phase === phase) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`operation never reached phase ${phase} within ${timeoutMs}ms (saw: ${[...seen].join(', ') || 'nothing'})`);
  }

  /** Kills every CLI process this workspace started that is still running, runs `cutover down`, removes the dir. */
  async dispose(): Promise<void> {
    this.runner.killAll();
    await this.cli(['down'], { timeoutMs: 30_000 }).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One GET on a fresh connection (no keep-alive), so each answer reflects the router's current routing. */
export function get(base: string, path = '/', timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        version: (res.headers['x-cutover-version'] as string | undefined) ?? null,
        color: (res.headers['x-cutover-color'] as string | undefined) ?? null,
      }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${base} timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `count` sequential GETs; returns the distinct `status version` pairs seen, e.g. `200 v1`. */
export async function sample(base: string, count: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const a = await get(base);
    seen.add(`${a.status} ${a.version}`);
  }
  return [...seen];
}
