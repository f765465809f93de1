import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliRunner, explain, type CliResult, type RunningCli } from './cli-runner.ts';

const ZOO_APP = fileURLToPath(new URL('../release-zoo/zoo-app.cjs', import.meta.url));

/** The zoo's modes (see test/release-zoo/zoo-app.cjs). */
export type ZooMode = 'good' | 'crash-after-ready' | 'crash-later' | 'crash-on-traffic' | '5xx-paths' | 'reset' | 'hang' | 'slow' | 'memory' | 'abrupt-5xx';

/**
 * A user's config with nothing but `health` (no `analysis`, no `guardrails`): the builtin
 * signals run on their defaults. Only durations are shortened so the suite stays fast, and the
 * memory limit is lowered so the memory mode reaches it in about a second.
 */
export function zooConfig(options: { monitor?: string; replicas?: number; stableFor?: string; engine?: 'node' | 'haproxy' } = {}): string {
  return `app: zoo
platform:
  kind: local
  command: ["node", "${ZOO_APP}"]
  cwd: releases/\${version}
  replicas: ${options.replicas ?? 2}
  readyTimeout: 10s
  stopTimeout: 2s
  memoryLimit: 200Mi
  restart:
    backoff: 100ms
    maxBackoff: 400ms
router:
  engine: ${options.engine ?? 'node'}
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
  drainTimeout: 1s
health:
  checks:
    - http: /health/ready
      json: checks
  interval: 200ms
  successes: 2
  timeout: 5s
  stableFor: ${options.stableFor ?? '3s'}
monitor:
  duration: ${options.monitor ?? '20s'}
scaleDown:
  delay: 0s
`;
}

/**
 * A temporary app directory running the zoo as a user would: `cutover up` starts the daemon, and
 * every command is the real CLI with `--json` (see CliRunner). `dispose()` runs `cutover down`.
 */
export class ZooWorkspace {
  readonly dir: string;
  readonly configPath: string;
  private readonly runner: CliRunner;

  private constructor(dir: string) {
    this.dir = dir;
    this.configPath = join(dir, 'cutover.yaml');
    this.runner = new CliRunner({ cwd: dir, config: this.configPath, timeoutMs: 90_000 });
  }

  /** `versions` are zoo versions such as `v1-good`; each gets its own release directory. */
  static create(versions: readonly string[], config = zooConfig()): ZooWorkspace {
    const ws = new ZooWorkspace(mkdtempSync(join(tmpdir(), 'cutover-zoo-')));
    for (const version of versions) ws.addVersion(version);
    writeFileSync(ws.configPath, config);
    return ws;
  }

  addVersion(version: string): void {
    mkdirSync(join(this.dir, 'releases', version), { recursive: true });
  }

  /** Starts `cutover <args>` without waiting for it (e.g. a deploy the test interferes with). */
  start(args: string[]): RunningCli {
    return this.runner.start(args);
  }

  cli(args: string[]): Promise<CliResult> {
    return this.runner.cli(args);
  }

  /** `cutover up`; returns the main listener's URL. */
  async up(): Promise<string> {
    const r = await this.cli(['up']);
    if (r.code !== 0 || !r.json?.addresses?.main) throw new Error(`cutover up failed: ${explain(r)}`);
    return r.json.addresses.main as string;
  }

  async dispose(): Promise<void> {
    this.runner.killAll();
    await this.cli(['down']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
