import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusOptions {
  /** Full URLs of the endpoints to scrape, e.g. `http://127.0.0.1:41234/metrics`. */
  scrapeTargets: string[];
  /** Default 250 ms, so tests see data within a second or two. */
  scrapeIntervalMs?: number;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops the server and removes its config and storage. Idempotent. */
  stop(): Promise<void>;
}

const BINARY = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const READY_TIMEOUT_MS = 30_000;

/** True when the Debian prometheus package (or PROMETHEUS_BIN) is installed. */
export function prometheusAvailable(): boolean {
  return existsSync(BINARY);
}

/**
 * Starts a real Prometheus for one test: a temporary config and storage directory, a free
 * loopback port, a fast scrape interval. Resolves once every target has been scraped
 * successfully (Prometheus hands static targets to its scraper only after ~5 s).
 * @throws Error when the binary is missing (run scripts/prometheus-testenv.sh) or it does not become ready.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  if (!prometheusAvailable()) throw new Error(`${BINARY} not found: run scripts/prometheus-testenv.sh (installs the Debian prometheus package)`);
  const dir = await mkdtemp(join(tmpdir(), 'cutover-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configText(options.scrapeTargets, options.scrapeIntervalMs ?? 250));
  try {
    // The port is found free and then handed over, so another process can take it in between; retry then.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(
        BINARY,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1h',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
      const url = `http://127.0.0.1:${port}`;
      const ready = (await waitReady(url, child)) && (await waitScraped(url, options.scrapeTargets.length, child));
      if (ready) return handle(url, child, dir);
      await terminate(child);
      if (attempt >= 3 || !/address already in use/.test(stderr)) {
        throw new Error(`prometheus on ${url} did not become ready and scrape ${options.scrapeTargets.join(', ')} within ${READY_TIMEOUT_MS / 1000}s: ${stderr.trim().slice(-1_000)}`);
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function configText(targets: string[], intervalMs: number): string {
  const jobs = targets.map((target, i) => {
    const url = new URL(target);
    return [
      `  - job_name: target-${i}`,
      `    scrape_interval: ${intervalMs}ms`,
      `    scrape_timeout: ${intervalMs}ms`,
      `    scheme: ${url.protocol.replace(':', '')}`,
      `    metrics_path: ${JSON.stringify(url.pathname || '/metrics')}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(url.host)}]`,
    ].join('\n');
  });
  return ['global:', `  scrape_interval: ${intervalMs}ms`, `  evaluation_interval: ${intervalMs}ms`, 'scrape_configs:', ...jobs, ''].join('\n');
}

function handle(url: string, child: ChildProcess, dir: string): RunningPrometheus {
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= terminate(child).then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Waits until `up` is 1 for every target: the first scrapes have landed. */
async function waitScraped(url: string, targets: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      if (Number(body.data?.result?.[0]?.value[1]) === targets) return true;
    } catch {
      // Not answering yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
