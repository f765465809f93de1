/**
 * User-space instructions per request of the HAProxy worker, under `valgrind --tool=callgrind`,
 * for the engine's generated config and variants of it. Unlike req/s and CPU seconds this does
 * not move with the load of a shared machine, so configs can be compared by it run to run.
 *
 * Each config runs HAProxy alone (no master, so no fork to follow) in front of a static nginx
 * backend; a keep-alive client sends N requests; the worker's instruction total is read when it
 * exits. The figure is (total at 3000 requests - total at 1000) / 2000, so start-up, config
 * parsing and shutdown cancel out. Kernel time (the syscalls) is not in it.
 *
 *   node --import tsx bench/router-overhead/haproxy-instructions.ts [--only NAME] [--file NAME=CONFIG]
 *     KEEP=1   keep the work dir and the last config's callgrind output, for callgrind_annotate
 *     --file   also measure a hand-written config (placeholders @PORT@, @BACKEND@, @DIR@, @LOGPORT@)
 *
 * Needs valgrind, haproxy and nginx (Debian packages); installs nothing. About 20 s a config.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { haproxyConfig, routingMapLines } from '../../src/router/haproxy/haproxy-config.ts';
import { newProbeToken } from '../../src/router/probe-token.ts';
import { pauseHoldLua } from '../../src/router/haproxy/pause-hold.ts';
import { joinHeaderLinesLua } from '../../src/router/haproxy/join-header-lines.ts';
import { drainCutLua } from '../../src/router/haproxy/drain-cut.ts';
import { NO_SPLIT_NAMES } from '../../src/router/haproxy/split-rules.ts';
import { nginxHttpLines, nginxMainLines } from './nginx-unprivileged.ts';
import { haproxyMinimalConfig } from './haproxy-minimal.ts';

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, file: { type: 'string', multiple: true, default: [] } },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); res.on('end', () => resolve(true)); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port}`);
    await sleep(200);
  }
}

/** N GETs over 8 keep-alive connections, 8 in flight: the shape of wrk's load, at valgrind's pace. */
async function send(port: number, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let left = n;
  const worker = async () => {
    while (left-- > 0) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

function nginxBackend(dir: string, port: number): string {
  return `${nginxMainLines(dir)}
events { worker_connections 1024; }
http {
  access_log off;
${nginxHttpLines(dir)}
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } }
}
`;
}

/** The generated config made to run without a master: same frontends, backends and rules. */
function standalone(config: string): string {
  return config.replace(/^\s*master-worker\n/m, '').replace(' expose-fd listeners', '');
}


interface Setup { dir: string; port: number; backend: string; logPort: number }

function generated(s: Setup, opts: { log: boolean; trustedProxies?: string[] }): string {
  const mapFile = join(s.dir, 'routing.map');
  writeFileSync(mapFile, routingMapLines({ live: 'blue' }).map(([k, v]) => `${k} ${v}\n`).join(''));
  writeFileSync(join(s.dir, 'pause-hold.lua'), pauseHoldLua(mapFile, 30_000));
  writeFileSync(join(s.dir, 'join-header-lines.lua'), joinHeaderLinesLua());
  writeFileSync(join(s.dir, 'drain-cut.lua'), drainCutLua(5_000));
  return standalone(haproxyConfig({
    dir: s.dir,
    mapFile,
    probeToken: newProbeToken(),
    runtimeSocket: join(s.dir, 'runtime.sock'),
    main: { host: '127.0.0.1', port: s.port },
    drainTimeoutMs: 5_000,
    upstreamHeadersTimeoutMs: 300_000,
    trustedProxies: opts.trustedProxies ?? [],
    servers: { blue: new Map([[1, s.backend]]), green: new Map() },
    ...(opts.log ? { logPort: s.logPort } : {}),
    split: NO_SPLIT_NAMES,
    pauseLuaFile: join(s.dir, 'pause-hold.lua'),
    joinLinesLuaFile: join(s.dir, 'join-header-lines.lua'),
    drainCutLuaFile: join(s.dir, 'drain-cut.lua'),
    longLivedRelaySocket: join(s.dir, 'long-lived.sock'),
    relaySockets: { main: join(s.dir, 'relay-main.sock'), preview: join(s.dir, 'relay-preview.sock') },
  }));
}

/** Instructions the HAProxy process ran in all, serving n requests. */
async function totalInstructions(config: string, s: Setup, n: number): Promise<number> {
  const cfg = join(s.dir, 'haproxy.cfg');
  writeFileSync(cfg, config.replaceAll('@PORT@', String(s.port)).replaceAll('@BACKEND@', s.backend).replaceAll('@DIR@', s.dir).replaceAll('@LOGPORT@', String(s.logPort)));
  const out = join(s.dir, `callgrind.out.${n}`);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'haproxy', '-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitForPort(s.port);
    await send(s.port, n);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr.slice(-2000)}`);
  }
  await sleep(200); // let the ring flush its last lines to the sink
  child.kill('SIGUSR1'); // soft stop: the process ends by itself and callgrind writes its totals
  await exited;
  const summary = /^summary: (\d+)/m.exec(readFileSync(out, 'utf8')) ?? /^totals: (\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!summary) throw new Error(`no callgrind summary in ${out}`);
  return Number(summary[1]);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hx-instr-'));
  const backendPort = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), nginxBackend(dir, backendPort));
  const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  // The request log's sink: reads and drops what the ring forwards, as the control plane would read it.
  let logBytes = 0;
  const sink = createServer((c) => {
    c.on('data', (d: Buffer) => { logBytes += d.length; });
    c.on('error', () => {}); // HAProxy resets it when it stops
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  try {
    await waitForPort(backendPort);
    const s: Setup = { dir, port: await freePort(), backend: `127.0.0.1:${backendPort}`, logPort: (sink.address() as AddressInfo).port };
    const configs: Array<[string, string]> = [
      ['generated, request log on', generated(s, { log: true })],
      ['generated, request log off', generated(s, { log: false })],
      ['generated with trustedProxies, log on', generated(s, { log: true, trustedProxies: ['10.0.0.0/8'] })],
      ['minimal (one frontend, one server, no rule)', haproxyMinimalConfig('@PORT@', '@BACKEND@')],
      ...args.file.map((f): [string, string] => { const [name, path] = f.split('='); return [name!, readFileSync(path!, 'utf8')]; }),
    ];
    process.stdout.write(`valgrind ${execFileSync('valgrind', ['--version']).toString().trim()}, ${execFileSync('haproxy', ['-v']).toString().split('\n')[0]}\n`);
    process.stdout.write('| config | instructions per request |\n|---|---:|\n');
    for (const [name, config] of configs) {
      if (args.only !== undefined && !name.includes(args.only)) continue;
      const low = await totalInstructions(config, s, 1000);
      const high = await totalInstructions(config, s, 3000);
      process.stdout.write(`| ${name} | ${((high - low) / 2000 / 1000).toFixed(1)}k |\n`);
    }
    process.stderr.write(`(the log sink received ${logBytes} bytes)\n`);
  } finally {
    nginx.kill('SIGTERM');
    sink.close();
    if (process.env['KEEP']) process.stderr.write(`kept ${dir} (callgrind.out.<n> of the last config, for callgrind_annotate)\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
