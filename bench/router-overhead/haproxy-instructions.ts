/**
 * User-space instructions per request of the HAProxy worker under the generated config, from
 * `valgrind --tool=callgrind`: the difference between two runs of `small` and `large`
 * keep-alive requests on one connection, divided by the difference in requests, so start-up
 * and the machine's load drop out. With `--baseline <checkout>` the same is measured for that
 * checkout's generated config, one run after the other: a before/after figure that does not
 * move with the load of a shared box (wall-clock ratios there do, by more than small changes).
 *
 *   node --import tsx bench/router-overhead/haproxy-instructions.ts [--baseline <checkout>]
 *
 * Needs `haproxy` and `valgrind` (Debian packages). Plain GET requests, blue live, no split,
 * no request log; the backend is a node:http server in this process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({ options: { baseline: { type: 'string' }, small: { type: 'string', default: '1000' }, large: { type: 'string', default: '3000' } } });
const small = Number(args.small);
const large = Number(args.large);
const here = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

const backend = createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' }).end('ok\n'); });
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as AddressInfo).port;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Writes `checkout`'s generated config (blue live, one replica) into a fresh directory; returns it and the main port. */
async function configOf(checkout: string): Promise<{ dir: string; port: number; config: string }> {
  const { haproxyConfig } = await import(join(checkout, 'src', 'router', 'haproxy', 'haproxy-config.ts')) as typeof import('../../src/router/haproxy/haproxy-config.ts');
  const { pauseHoldLua } = await import(join(checkout, 'src', 'router', 'haproxy', 'pause-hold.ts')) as typeof import('../../src/router/haproxy/pause-hold.ts');
  const { NO_SPLIT_NAMES } = await import(join(checkout, 'src', 'router', 'haproxy', 'split-rules.ts')) as typeof import('../../src/router/haproxy/split-rules.ts');
  const dir = mkdtempSync(join(tmpdir(), 'hx-insn-'));
  const port = await freePort();
  const mapFile = join(dir, 'routing.map');
  writeFileSync(mapFile, 'live blue\n');
  const pauseLuaFile = join(dir, 'pause-hold.lua');
  writeFileSync(pauseLuaFile, pauseHoldLua(mapFile, 10_000));
  const input = {
    dir, mapFile, runtimeSocket: join(dir, 'runtime.sock'), main: { host: '127.0.0.1', port },
    drainTimeoutMs: 5_000, upstreamHeadersTimeoutMs: 300_000, trustedProxies: [],
    servers: { blue: new Map([[1, `127.0.0.1:${backendPort}`]]), green: new Map() },
    split: NO_SPLIT_NAMES, pauseLuaFile,
    longLivedRelaySocket: join(dir, 'long-lived-a.sock'),
    relaySockets: { main: join(dir, 'relay-main.sock'), preview: join(dir, 'relay-preview.sock') },
  };
  // One process under valgrind: no master, so the worker's instructions are the whole count.
  const config = haproxyConfig(input as Parameters<typeof haproxyConfig>[0]).replace(/^\s*master-worker\s*$/m, '');
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  return { dir, port, config };
}

async function sendRequests(port: number, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolveDone, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', () => resolveDone());
      }).on('error', reject).end();
    });
  }
  agent.destroy();
}

/** Instructions (Ir) of one haproxy run under callgrind serving `n` requests. */
async function instructions(dir: string, port: number, n: number): Promise<number> {
  const out = join(dir, `callgrind.${n}.out`);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'haproxy', '-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  for (let t = 0; ; t++) {
    try { await sendRequests(port, 1); break; } catch {
      if (t > 600) throw new Error(`haproxy did not start under valgrind: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await sendRequests(port, n - 1);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGUSR1'); // soft stop: HAProxy exits once idle, and callgrind writes its file
  await exited;
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!summary) throw new Error(`no callgrind summary in ${out}`);
  return Number(summary[1]);
}

async function perRequest(checkout: string): Promise<number> {
  const { dir, port } = await configOf(checkout);
  try {
    const a = await instructions(dir, port, small);
    const b = await instructions(dir, port, large);
    return (b - a) / (large - small);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (apt-get install valgrind)');
const rows: Array<[string, number]> = [['this checkout', await perRequest(here)]];
if (args.baseline) rows.push([`baseline ${args.baseline}`, await perRequest(resolve(args.baseline))]);
backend.close();
console.log(`| config | instructions per request (${large} - ${small} requests) |\n|---|---:|`);
for (const [name, n] of rows) console.log(`| ${name} | ${(n / 1000).toFixed(1)}k |`);
if (rows.length === 2) console.log(`\nthis / baseline: ${(rows[0]![1] / rows[1]![1]).toFixed(3)}x`);
