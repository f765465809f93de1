/**
 * HAProxy configs side by side with nginx, for tuning the engine's kernel-side cost: CPU per
 * request from /proc (utime + stime of every process of each proxy) in interleaved rounds, and
 * with `--strace`, syscalls per request (`strace -c -f` attached during a wrk run; strace slows
 * the proxy, so its counts per request are the figure, not its times).
 *
 * Rows: nginx (router-overhead's `nginx` row), the engine's generated config as the daemon runs
 * it (master-worker, request log to a sink that reads and drops it, as the control plane
 * would), the minimal config (haproxy-minimal.ts), and every `--file NAME=CONFIG` (a
 * hand-written variant run with `-W`; placeholders @PORT@, @BACKEND@, @LOGPORT@, @DIR@ where
 * @DIR@ holds the engine's Lua files); `--env NAME=VAR=VALUE` sets an environment variable for
 * variant NAME's HAProxy (GLIBC_TUNABLES, say). `--dump FILE` writes the generated config with those
 * placeholders, as a start for variants.
 *
 *   node --import tsx bench/router-overhead/haproxy-variants.ts [--rounds 5] [--seconds 5] [--strace] [--file NAME=CFG]... [--dump FILE]
 *
 * Load: wrk -t1 -c64 to a node:http backend (backend.ts), as router-overhead. Needs wrk, nginx,
 * haproxy (and strace for --strace); installs nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haproxyConfig, routingMapLines } from '../../src/router/haproxy/haproxy-config.ts';
import { newProbeToken } from '../../src/router/probe-token.ts';
import { pauseHoldLua } from '../../src/router/haproxy/pause-hold.ts';
import { joinHeaderLinesLua } from '../../src/router/haproxy/join-header-lines.ts';
import { drainCutLua } from '../../src/router/haproxy/drain-cut.ts';
import { NO_SPLIT_NAMES } from '../../src/router/haproxy/split-rules.ts';
import { readProcStat } from '../../src/process/proc-stat.ts';
import { haproxyMinimalConfig } from './haproxy-minimal.ts';
import { nginxHttpLines, nginxMainLines } from './nginx-unprivileged.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    strace: { type: 'boolean', default: false },
    file: { type: 'string', multiple: true, default: [] },
    dump: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
const CLK_TCK = 100;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answered on port ${port}`);
      await sleep(50);
    }
  }
}

function run(file: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} failed: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

async function wrk(url: string, s: number): Promise<number> {
  const out = await run('wrk', ['-t1', '-c64', `-d${s}s`, url]);
  const m = /(\d+) requests in/.exec(out);
  if (!m) throw new Error(`could not read wrk output:\n${out}`);
  return Number(m[1]);
}

function pidsOf(root: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${root}/task/${root}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { /* gone */ }
  return [root, ...kids];
}

/** utime and stime of the processes, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
function cpuS(pids: number[]): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const p of pids) {
    if (!readProcStat(p)) throw new Error(`process ${p} is gone`);
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    user += Number(fields[11]) / CLK_TCK;
    sys += Number(fields[12]) / CLK_TCK;
  }
  return { user, sys };
}

/** The engine's generated config with placeholders, and its Lua files written into `dir`. */
function generatedConfig(dir: string): string {
  const mapFile = join(dir, 'routing.map');
  writeFileSync(mapFile, routingMapLines({ live: 'blue' }).map(([k, v]) => `${k} ${v}\n`).join(''));
  writeFileSync(join(dir, 'pause-hold.lua'), pauseHoldLua(mapFile, 30_000));
  writeFileSync(join(dir, 'join-header-lines.lua'), joinHeaderLinesLua());
  writeFileSync(join(dir, 'drain-cut.lua'), drainCutLua(5_000));
  return haproxyConfig({
    dir,
    mapFile,
    probeToken: newProbeToken(),
    runtimeSocket: join(dir, 'runtime.sock'),
    main: { host: '127.0.0.1', port: 65_001 },
    drainTimeoutMs: 5_000,
    upstreamHeadersTimeoutMs: 300_000,
    trustedProxies: [],
    servers: { blue: new Map([[1, '@BACKEND@']]), green: new Map() },
    logPort: 65_002,
    split: NO_SPLIT_NAMES,
    pauseLuaFile: join(dir, 'pause-hold.lua'),
    joinLinesLuaFile: join(dir, 'join-header-lines.lua'),
    drainCutLuaFile: join(dir, 'drain-cut.lua'),
    longLivedRelaySocket: join(dir, 'long-lived.sock'),
    relaySockets: { main: join(dir, 'relay-main.sock'), preview: join(dir, 'relay-preview.sock') },
  }).replaceAll(dir, '@DIR@').replace('127.0.0.1:65001', '127.0.0.1:@PORT@').replace('127.0.0.1:65002', '127.0.0.1:@LOGPORT@');
}

interface Row { name: string; url: string; pids: number[]; cpuPerReq: number[]; userPerReq: number[]; sysPerReq: number[]; sys: Map<string, { calls: number; errors: number }> | null }

/** `strace -c` summary lines: `% time seconds usecs/call calls [errors] syscall`. */
function parseStraceSummary(text: string): Map<string, { calls: number; errors: number }> {
  const out = new Map<string, { calls: number; errors: number }>();
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[3] !== 'total') out.set(m[3]!, { calls: Number(m[1]), errors: Number(m[2] ?? 0) });
  }
  return out;
}

async function straceCounts(row: Row): Promise<Map<string, { calls: number; errors: number }>> {
  const outFile = join(tmpdir(), `hx-variants-strace-${process.pid}-${row.name.replace(/\W/g, '_')}`);
  const tracer = spawn('strace', ['-c', '-f', '-o', outFile, ...row.pids.flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
  await sleep(500);
  const requests = await wrk(row.url, seconds);
  const done = new Promise((r) => tracer.once('exit', r));
  tracer.kill('SIGINT');
  await done;
  const counts = parseStraceSummary(readFileSync(outFile, 'utf8'));
  rmSync(outFile, { force: true });
  for (const v of counts.values()) { v.calls /= requests; v.errors /= requests; }
  return counts;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hx-variants-'));
  const template = generatedConfig(dir);
  if (args.dump) { writeFileSync(args.dump, template); process.stderr.write(`wrote ${args.dump}\n`); }
  const sink = createServer((c) => { c.resume(); c.on('error', () => {}); });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const logPort = (sink.address() as AddressInfo).port;
  const rows: Row[] = [];
  try {
    const backend = spawn(process.execPath, ['--import', 'tsx', join(here, 'backend.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(backend);
    const backendPort = await new Promise<number>((resolve) => backend.stdout!.on('data', (d: Buffer) => { const m = /READY (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); }));
    const at = `127.0.0.1:${backendPort}`;
    const ngxDir = join(dir, 'nginx');
    mkdirSync(ngxDir);
    const ngxPort = await freePort();
    writeFileSync(join(ngxDir, 'nginx.conf'), `${nginxMainLines(ngxDir)}
events { worker_connections 4096; }
http {
  access_log off;
${nginxHttpLines(ngxDir)}
  upstream backend { server ${at}; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${ngxPort};
    location / {
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`);
    const ngx = spawn('nginx', ['-c', join(ngxDir, 'nginx.conf'), '-p', ngxDir, '-e', join(ngxDir, 'error.log')], { stdio: 'ignore' });
    children.push(ngx);
    await waitForPort(ngxPort);
    rows.push({ name: 'nginx', url: `http://127.0.0.1:${ngxPort}/`, pids: pidsOf(ngx.pid!), cpuPerReq: [], userPerReq: [], sysPerReq: [], sys: null });
    const configs: Array<[string, string]> = [
      ['generated (master-worker, log on)', template],
      ['minimal (master-worker)', haproxyMinimalConfig('@PORT@', '@BACKEND@', { masterWorker: true })],
      ...args.file.map((f): [string, string] => { const [name, path] = f.split('='); return [name!, readFileSync(path!, 'utf8')]; }),
    ];
    for (const [i, [configName, text]] of configs.entries()) {
      const port = await freePort();
      const cfg = join(dir, `variant-${i}.cfg`);
      writeFileSync(cfg, text.replaceAll('@PORT@', String(port)).replaceAll('@BACKEND@', at).replaceAll('@LOGPORT@', String(logPort)).replaceAll('@DIR@', dir));
      const env = { ...process.env };
      for (const e of args.env) {
        const [variant, name, ...value] = e.split('=');
        if (variant === configName) env[name!] = value.join('=');
      }
      const proc = spawn('haproxy', ['-W', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'], env });
      children.push(proc);
      await waitForPort(port);
      rows.push({ name: configName, url: `http://127.0.0.1:${port}/`, pids: pidsOf(proc.pid!), cpuPerReq: [], userPerReq: [], sysPerReq: [], sys: null });
    }
    for (let r = 0; r < rounds; r++) {
      for (const row of rows) {
        await wrk(row.url, 1);
        const c0 = cpuS(row.pids);
        const n = await wrk(row.url, seconds);
        const c1 = cpuS(row.pids);
        row.userPerReq.push((c1.user - c0.user) / n);
        row.sysPerReq.push((c1.sys - c0.sys) / n);
        row.cpuPerReq.push((c1.user + c1.sys - c0.user - c0.sys) / n);
      }
      process.stderr.write(`round ${r + 1} done\n`);
    }
    if (args.strace) for (const row of rows) row.sys = await straceCounts(row);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    sink.close();
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ngxRow = rows[0]!;
  process.stdout.write(`${rounds} rounds of wrk -t1 -c64 -d${seconds}s, ${new Date().toISOString()}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}\n\n`);
  process.stdout.write('| config | CPU us / request (median) | user | system | / nginx, per round | / nginx, median of rounds |\n|---|---:|---:|---:|---|---:|\n');
  for (const row of rows) {
    const ratios = row.cpuPerReq.map((c, i) => c / ngxRow.cpuPerReq[i]!);
    process.stdout.write(`| ${row.name} | ${(median(row.cpuPerReq) * 1e6).toFixed(1)} | ${(median(row.userPerReq) * 1e6).toFixed(1)} | ${(median(row.sysPerReq) * 1e6).toFixed(1)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} | ${median(ratios).toFixed(2)}x |\n`);
  }
  if (args.strace) {
    const names = [...new Set(rows.flatMap((r) => [...r.sys!.entries()].filter(([, v]) => v.calls >= 0.01).map(([k]) => k)))].sort();
    process.stdout.write(`\nsyscalls per request (strace -c -f, ${seconds} s of wrk; errors in brackets)\n\n| syscall | ${rows.map((r) => r.name).join(' | ')} |\n|---|${rows.map(() => '---:').join('|')}|\n`);
    for (const n of names) {
      process.stdout.write(`| ${n} | ${rows.map((r) => { const v = r.sys!.get(n); return v ? `${v.calls.toFixed(2)}${v.errors > 0.005 ? ` (${v.errors.toFixed(2)})` : ''}` : '0'; }).join(' | ')} |\n`);
    }
    process.stdout.write(`| total | ${rows.map((r) => [...r.sys!.values()].reduce((s, v) => s + v.calls, 0).toFixed(2)).join(' | ')} |\n`);
  }
}

main().catch((e: unknown) => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  process.stderr.write(`haproxy-variants: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
