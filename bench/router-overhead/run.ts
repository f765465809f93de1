/**
 * Router overhead benchmark: one node:http backend reached four ways, side by side in one
 * run: directly, through the cutover router (`router.engine: node`), through the
 * `router.engine: haproxy` data plane (HAProxy driven by cutover's control plane, as the daemon
 * runs it) and through nginx (1 worker, keep-alive upstream), plus a bare node:http + undici
 * proxy as a floor reference (and `bare-forwarded`, the same proxy sending the router's five
 * forwarded headers: the floor for what the router must send), HAProxy with a minimal config (`haproxy-minimal`, alone and
 * `-mw` as master-worker: the same binary's floor), and nginx again doing the engine's per-request work
 * (`nginx-same-work`: five forwarded headers, one access-log line) so that ratio compares like
 * with like. Each one gets
 *   1. max throughput: wrk, 1 thread, 64 keep-alive connections (the project's load
 *      generator in its own process when wrk is missing);
 *   2. latency at 50% of its own max: wrk again, each connection pacing itself with a fixed
 *      delay between requests (a Lua `delay()`), p50/p99 from wrk's latency distribution.
 *      At half load nothing queues, so this paced closed loop measures what an open model
 *      would; the project's load generator cannot keep 20k+ req/s on schedule here;
 *   3. CPU seconds of the proxy process(es) per 10k requests, from /proc/<pid>/stat.
 * Rounds are interleaved (direct, router, nginx, direct, ...) and medians reported.
 *
 *   node --import tsx bench/router-overhead/run.ts            # full: ~7 minutes
 *   node --import tsx bench/router-overhead/run.ts --tiny     # or BENCH_TINY=1: < 30 s, for CI
 *   options: --profile (also in tiny mode: CPU-profile the router under max load),
 *            --json <file> (write the raw numbers),
 *            --baseline <checkout> (also run that checkout's router as a row, `router-baseline`,
 *            interleaved with this one: before/after figures from the same run; with haproxy,
 *            that checkout's haproxy engine too, `haproxy-engine-baseline`)
 *
 * Needs the Debian packages `wrk`, `nginx` (nginx-light is enough) and `haproxy`; installs
 * nothing. Without nginx or haproxy that row is skipped; without wrk the load generator
 * measures max load.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { summarizeProfile, type ProfileSummary } from './profile-summary.ts';
import { nginxHttpLines, nginxMainLines } from './nginx-unprivileged.ts';
import { haproxyMinimalConfig } from './haproxy-minimal.ts';
import { readProcStat } from '../../src/process/proc-stat.ts';
import { startNodeProcess } from './node-process.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const { values: args } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const tiny = args.tiny || process.env['BENCH_TINY'] === '1';
const plan = tiny
  ? { rounds: 1, warmS: 2, maxS: 2, latencyS: 2, connections: 64, profileS: 3 }
  : { rounds: 3, warmS: 2, maxS: 10, latencyS: 10, connections: 64, profileS: 10 };

type TargetName = 'direct' | 'router' | 'router-baseline' | 'haproxy-engine' | 'haproxy-engine-baseline' | 'haproxy-minimal' | 'haproxy-minimal-mw' | 'bare-undici' | 'bare-forwarded' | 'nginx' | 'nginx-same-work';
interface Target {
  name: TargetName;
  url: string;
  /** Processes whose CPU is the proxy's cost (empty for direct). */
  proxyPids: number[];
  /** Of those, the control plane's (the haproxy engine's Node process, which reads the request log), reported apart too. */
  controlPids?: number[];
}
interface MaxRun { rps: number; requests: number; proxyCpuS: number; controlCpuS: number; backendCpuS: number }
interface LatencyRun { rate: number; achievedRps: number; p50Ms: number | null; p99Ms: number | null; errors: number; tool: string; proxyCpuPer10k?: number }

const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function findBinary(name: string): string | null {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readProcStat(pid);
  if (!stat) throw new Error(`cannot read /proc/${pid}/stat`);
  return stat.cpuTicks / clockTicks;
}

const sumCpu = (pids: number[]) => pids.reduce((s, p) => s + cpuSeconds(p), 0);

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawns a node process that prints `READY <port>` and waits for that line. */
function startNode(script: string, argv: string[], nodeFlags: string[] = []): Promise<{ child: ChildProcess; port: number; banner: string }> {
  return startNodeProcess({ cwd: root, script, argv, nodeFlags, children });
}

async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answered on port ${port}`);
      await sleep(50);
    }
  }
}

/**
 * nginx as the issue compares it (`sameWork` false): `access_log off` and three X-Forwarded-*
 * headers. With `sameWork` it does what the haproxy engine does per request too: the same five
 * forwarded headers (X-Real-IP, and Forwarded with the Node router's quoting of host= and of an
 * IPv6 for=, by `map`s), and one short access-log line per request (upstream, duration) into a
 * buffered file, flushed at least every second; the engine's log goes to a memory ring
 * forwarded over TCP to its control plane, whose CPU is counted in the engine's row.
 */
function nginxConfig(dir: string, port: number, backendPort: number, sameWork = false): string {
  const sameWorkHttp = sameWork ? `
  log_format cutover '$upstream_addr $request_time';
  access_log ${dir}/access.log cutover buffer=64k flush=1s;
  map $remote_addr $fwd_for { ~: "for=\\"[$remote_addr]\\""; default "for=$remote_addr"; }
  map $http_host $fwd_host { "~^[-.0-9A-Za-z_~]+$" ";host=$http_host"; "~^[-.0-9A-Za-z_~:\\[\\]]+$" ";host=\\"$http_host\\""; default ""; }` : `
  access_log off;`;
  const sameWorkHeaders = sameWork ? `
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Forwarded "$fwd_for$fwd_host;proto=$scheme";` : '';
  return `${nginxMainLines(dir)}
events { worker_connections 4096; }
http {${sameWorkHttp}
${nginxHttpLines(dir)}
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;${sameWorkHeaders}
    }
  }
}
`;
}

function run(file: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${argv.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const loadgenCli = join(root, 'src', 'loadgen', 'loadgen-cli.ts');

async function loadgen(argv: string[]): Promise<{ achievedRps: number; total: { requests: number; p50Ms: number | null; p99Ms: number | null; sendLagP99Ms: number | null; socketErrors: number; non2xx: number } }> {
  return JSON.parse(await run(process.execPath, ['--import', 'tsx', loadgenCli, ...argv]));
}

async function saturate(wrk: string | null, url: string, seconds: number): Promise<{ rps: number; requests: number }> {
  if (wrk !== null) {
    const out = await run(wrk, ['-t1', `-c${plan.connections}`, `-d${seconds}s`, url]);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    const requests = /(\d+) requests in/.exec(out);
    if (!rps || !requests) throw new Error(`could not read wrk output:\n${out}`);
    return { rps: Number(rps[1]), requests: Number(requests[1]) };
  }
  const report = await loadgen(['--url', url, '--model', 'closed', '--connections', String(plan.connections), '--duration-ms', String(seconds * 1000)]);
  return { rps: report.achievedRps, requests: report.total.requests };
}

/** `1.23ms`, `850.00us`, `1.02s` -> ms */
function wrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`unexpected wrk duration ${text}`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

const PACE_MS = 10;

/** Holds about `rate` req/s: rate*PACE_MS/1000 connections, each waiting PACE_MS between requests. */
async function paced(wrk: string | null, url: string, rate: number, seconds: number, dir: string): Promise<LatencyRun> {
  if (wrk === null) {
    const report = await loadgen(['--url', url, '--model', 'open', '--rate', String(rate), '--duration-ms', String(seconds * 1000), '--max-connections', '64']);
    return { rate, achievedRps: report.achievedRps, p50Ms: report.total.p50Ms, p99Ms: report.total.p99Ms, errors: report.total.socketErrors + report.total.non2xx, tool: 'loadgen open model' };
  }
  const connections = Math.max(1, Math.round((rate * PACE_MS) / 1000));
  const script = join(dir, 'pace.lua');
  // Random pauses (mean PACE_MS) keep the connections from falling into step and arriving in bursts.
  writeFileSync(script, `function delay() return math.random(${PACE_MS / 2}, ${PACE_MS * 1.5}) end\n`);
  const out = await run(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (!p50 || !p99 || !rps) throw new Error(`could not read wrk output:\n${out}`);
  return {
    rate,
    achievedRps: Number(rps[1]),
    p50Ms: wrkDuration(p50[1]!),
    p99Ms: wrkDuration(p99[1]!),
    errors: (errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
    tool: `wrk -c${connections}, ${PACE_MS} ms pause per connection`,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const wrk = findBinary('wrk');
  const nginx = findBinary('nginx');
  const haproxy = findBinary('haproxy');
  const notes: string[] = [];
  if (haproxy === null) notes.push('haproxy not found: the haproxy-engine row is skipped.');
  if (wrk === null) notes.push('wrk not found: max throughput measured with the project load generator (closed model, 64 connections).');
  if (nginx === null) notes.push('nginx not found: the nginx row is skipped.');
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
  const results: Record<string, { max: MaxRun[]; latency?: LatencyRun }> = {};
  let profile: ProfileSummary | null = null;
  try {
    const backend = await startNode(join(here, 'backend.ts'), []);
    const backendUrl = `http://127.0.0.1:${backend.port}`;
    const router = await startNode(join(here, 'router-process.ts'), [backendUrl]);
    const bare = await startNode(join(here, 'bare-proxy.ts'), [backendUrl]);
    // The bare proxy sending the router's forwarded headers: the floor for the router's contract.
    const bareForwarded = await startNode(join(here, 'bare-proxy-pieces.ts'), [backendUrl, 'forwarded']);
    const targets: Target[] = [
      { name: 'direct', url: `${backendUrl}/`, proxyPids: [] },
      { name: 'router', url: `http://127.0.0.1:${router.port}/`, proxyPids: [router.child.pid!] },
    ];
    if (args.baseline !== undefined) {
      const baseline = await startNode(join(args.baseline, 'bench', 'router-overhead', 'router-process.ts'), [backendUrl]);
      targets.push({ name: 'router-baseline', url: `http://127.0.0.1:${baseline.port}/`, proxyPids: [baseline.child.pid!] });
    }
    if (haproxy !== null) {
      const engine = await startNode(join(here, 'haproxy-engine-process.ts'), [backendUrl]);
      const pids = /PIDS ([\d,]+)/.exec(engine.banner)?.[1]?.split(',').map(Number).filter((p) => p > 0) ?? [];
      if (pids.length !== 3) throw new Error(`the haproxy engine did not report its pids: ${engine.banner}`);
      targets.push({ name: 'haproxy-engine', url: `http://127.0.0.1:${engine.port}/`, proxyPids: pids, controlPids: [pids[0]!] });
      if (args.baseline !== undefined) {
        const base = await startNode(join(args.baseline, 'bench', 'router-overhead', 'haproxy-engine-process.ts'), [backendUrl]);
        const basePids = /PIDS ([\d,]+)/.exec(base.banner)?.[1]?.split(',').map(Number).filter((p) => p > 0) ?? [];
        if (basePids.length !== 3) throw new Error(`the baseline haproxy engine did not report its pids: ${base.banner}`);
        targets.push({ name: 'haproxy-engine-baseline', url: `http://127.0.0.1:${base.port}/`, proxyPids: basePids, controlPids: [basePids[0]!] });
      }
      // The floor: the same binary with no rule and no log, alone (-db) and as master-worker like the engine.
      for (const [name, masterWorker] of [['haproxy-minimal', false], ['haproxy-minimal-mw', true]] as const) {
        const at = join(dir, name);
        mkdirSync(at);
        const port = await freePort();
        const conf = join(at, 'haproxy.cfg');
        writeFileSync(conf, haproxyMinimalConfig(port, `127.0.0.1:${backend.port}`, { masterWorker }));
        const proc = spawn(haproxy, [masterWorker ? '-W' : '-db', '-f', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
        children.push(proc);
        await waitForPort(port);
        const pids = [proc.pid!, ...childPids(proc.pid!)];
        if (pids.length !== (masterWorker ? 2 : 1)) throw new Error(`${name}: expected ${masterWorker ? 'a master and a worker' : 'one process'}, found pids ${pids.join(',')}`);
        targets.push({ name, url: `http://127.0.0.1:${port}/`, proxyPids: pids });
      }
    }
    targets.push(
      { name: 'bare-undici', url: `http://127.0.0.1:${bare.port}/`, proxyPids: [bare.child.pid!] },
      { name: 'bare-forwarded', url: `http://127.0.0.1:${bareForwarded.port}/`, proxyPids: [bareForwarded.child.pid!] },
    );
    if (nginx !== null) {
      for (const [name, sameWork] of [['nginx', false], ['nginx-same-work', true]] as const) {
        const at = join(dir, name);
        mkdirSync(at);
        const port = await freePort();
        const conf = join(at, 'nginx.conf');
        writeFileSync(conf, nginxConfig(at, port, backend.port, sameWork));
        const master = spawn(nginx, ['-c', conf, '-p', at, '-e', join(at, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
        children.push(master);
        await waitForPort(port);
        targets.push({ name, url: `http://127.0.0.1:${port}/`, proxyPids: [master.pid!, ...childPids(master.pid!)] });
      }
    }

    for (const t of targets) results[t.name] = { max: [] };
    for (let round = 0; round < plan.rounds; round++) {
      for (const t of targets) {
        await saturate(wrk, t.url, plan.warmS);
        const proxy0 = sumCpu(t.proxyPids);
        const control0 = sumCpu(t.controlPids ?? []);
        const backend0 = cpuSeconds(backend.child.pid!);
        const { rps, requests } = await saturate(wrk, t.url, plan.maxS);
        results[t.name]!.max.push({
          rps,
          requests,
          proxyCpuS: sumCpu(t.proxyPids) - proxy0,
          controlCpuS: sumCpu(t.controlPids ?? []) - control0,
          backendCpuS: cpuSeconds(backend.child.pid!) - backend0,
        });
        process.stderr.write(`round ${round + 1} ${t.name}: ${rps.toFixed(0)} req/s\n`);
      }
    }
    for (const t of targets) {
      const rate = Math.floor(median(results[t.name]!.max.map((m) => m.rps)) / 2);
      // CPU per request at half load too: unlike the saturated runs it does not depend on how
      // much CPU the other work on the machine leaves the proxy.
      const cpu0 = sumCpu(t.proxyPids);
      const l = await paced(wrk, t.url, rate, plan.latencyS, dir);
      l.proxyCpuPer10k = ((sumCpu(t.proxyPids) - cpu0) / Math.max(1, l.achievedRps * plan.latencyS)) * 10_000;
      results[t.name]!.latency = l;
      process.stderr.write(`${t.name} at ${l.achievedRps.toFixed(0)} req/s (aim ${rate}): p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms\n`);
    }

    if (args.profile || !tiny) {
      const profDir = join(dir, 'prof');
      const profiled = await startNode(join(here, 'router-process.ts'), [backendUrl], ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
      const url = `http://127.0.0.1:${profiled.port}/`;
      await saturate(wrk, url, plan.warmS);
      await saturate(wrk, url, plan.profileS);
      const exited = new Promise((resolve) => profiled.child.once('exit', resolve));
      profiled.child.kill('SIGTERM');
      await exited;
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) profile = summarizeProfile(join(profDir, file));
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }

  const row = (name: string) => {
    const r = results[name];
    if (!r) return null;
    const maxRps = median(r.max.map((m) => m.rps));
    const proxyCpuPer10k = median(r.max.map((m) => (m.proxyCpuS / m.requests) * 10_000));
    const backendCpuPer10k = median(r.max.map((m) => (m.backendCpuS / m.requests) * 10_000));
    const controlCpuPer10k = median(r.max.map((m) => (m.controlCpuS / m.requests) * 10_000));
    return { name, maxRps, proxyCpuPer10k, controlCpuPer10k, backendCpuPer10k, latency: r.latency! };
  };
  const direct = row('direct')!;
  const router = row('router')!;
  const ngx = row('nginx');
  const ngxSame = row('nginx-same-work');
  const bareRow = row('bare-undici');
  const bareFwdRow = row('bare-forwarded');
  const baselineRow = row('router-baseline');
  const hx = row('haproxy-engine');
  const hxBase = row('haproxy-engine-baseline');
  const hxMin = row('haproxy-minimal');
  const hxMinMw = row('haproxy-minimal-mw');
  const fmt = (n: number | null | undefined, d = 2) => (n === null || n === undefined ? 'n/a' : n.toFixed(d));
  const lines: string[] = [];
  lines.push(`mode: ${tiny ? 'tiny' : 'full'} · ${plan.rounds} round(s) · max load ${plan.maxS}s each with ${wrk ? 'wrk -t1' : 'loadgen closed'} -c${plan.connections} after ${plan.warmS}s warm-up · latency ${plan.latencyS}s at 50% of each max · ${new Date().toISOString()}`);
  lines.push('');
  lines.push('| path | max req/s | p50 @50% (ms) | p99 @50% (ms) | proxy CPU s / 10k req | same, at 50% load | backend CPU s / 10k req |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of [direct, router, baselineRow, hx, hxBase, hxMin, hxMinMw, bareRow, bareFwdRow, ngx, ngxSame]) {
    if (!r) continue;
    const proxied = r.name !== 'direct';
    lines.push(`| ${r.name} | ${fmt(r.maxRps, 0)} | ${fmt(r.latency.p50Ms, 3)} | ${fmt(r.latency.p99Ms, 3)} | ${proxied ? fmt(r.proxyCpuPer10k, 3) : '-'} | ${proxied ? fmt(r.latency.proxyCpuPer10k, 3) : '-'} | ${fmt(r.backendCpuPer10k, 3)} |`);
  }
  lines.push('');
  const addedP99 = (r: typeof router) => (r.latency.p99Ms ?? NaN) - (direct.latency.p99Ms ?? NaN);
  lines.push(`- router / direct throughput: ${fmt(router.maxRps / direct.maxRps)}x`);
  if (ngx) {
    const ratio = router.maxRps / ngx.maxRps;
    lines.push(`- router / nginx throughput: ${fmt(ratio, 3)}x (target >= 0.45x: ${ratio >= 0.45 ? 'met' : 'NOT met'})`);
    lines.push(`- router / nginx CPU per request: ${fmt(router.proxyCpuPer10k / ngx.proxyCpuPer10k)}x`);
    lines.push(`- nginx added p99 at 50% load: ${fmt(addedP99(ngx), 3)} ms`);
    if (hx) {
      const throughput = hx.maxRps / ngx.maxRps;
      const cpu = hx.proxyCpuPer10k / ngx.proxyCpuPer10k;
      lines.push(`- haproxy-engine / nginx throughput: ${fmt(throughput)}x (target >= 1x: ${throughput >= 1 ? 'met' : 'NOT met'})`);
      lines.push(`- haproxy-engine / nginx CPU per request: ${fmt(cpu)}x (target <= 1.2x: ${cpu <= 1.2 ? 'met' : 'NOT met'}); of the engine's ${fmt(hx.proxyCpuPer10k, 3)} s / 10k req, the control plane (request log for latency histograms) took ${fmt(hx.controlCpuPer10k, 3)}, HAProxy ${fmt(hx.proxyCpuPer10k - hx.controlCpuPer10k, 3)} (${fmt((hx.proxyCpuPer10k - hx.controlCpuPer10k) / ngx.proxyCpuPer10k)}x nginx)`);
      lines.push(`- haproxy-engine / router throughput: ${fmt(hx.maxRps / router.maxRps)}x`);
      // Each round's rows ran a minute apart at most, so a round's ratio shares that minute's load.
      const perRound = (a: string, b: string) => {
        const cpu = (m: MaxRun) => m.proxyCpuS / m.requests;
        const xs = results[a]!.max.map((m, i) => cpu(m) / cpu(results[b]!.max[i]!));
        const ts = results[a]!.max.map((m, i) => m.rps / results[b]!.max[i]!.rps);
        return `throughput ${ts.map((x) => fmt(x)).join(' / ')}, CPU per request ${xs.map((x) => fmt(x)).join(' / ')}`;
      };
      lines.push(`- per round, haproxy-engine / nginx: ${perRound('haproxy-engine', 'nginx')}`);
      if (hxMin) lines.push(`- per round, haproxy-minimal / nginx: ${perRound('haproxy-minimal', 'nginx')}`);
      if (hxMinMw) lines.push(`- per round, haproxy-minimal-mw / nginx: ${perRound('haproxy-minimal-mw', 'nginx')}`);
      for (const floor of [hxMin, hxMinMw]) {
        if (!floor) continue;
        const fCpu = floor.proxyCpuPer10k / ngx.proxyCpuPer10k;
        lines.push(`- ${floor.name} (the floor: same binary, no rule, no log${floor === hxMinMw ? ', master-worker' : ', no master'}) / nginx: throughput ${fmt(floor.maxRps / ngx.maxRps)}x, CPU per request ${fmt(fCpu)}x (at 50% load ${fmt(floor.latency.proxyCpuPer10k! / ngx.latency.proxyCpuPer10k!)}x); haproxy-engine / ${floor.name}: throughput ${fmt(hx.maxRps / floor.maxRps)}x, CPU per request ${fmt(hx.proxyCpuPer10k / floor.proxyCpuPer10k)}x`);
      }
      if (ngxSame) {
        lines.push(`- haproxy-engine / nginx-same-work (5 forwarded headers and a log line per request on both): throughput ${fmt(hx.maxRps / ngxSame.maxRps)}x, CPU per request ${fmt(hx.proxyCpuPer10k / ngxSame.proxyCpuPer10k)}x (HAProxy alone ${fmt((hx.proxyCpuPer10k - hx.controlCpuPer10k) / ngxSame.proxyCpuPer10k)}x)`);
        lines.push(`- nginx-same-work / nginx: throughput ${fmt(ngxSame.maxRps / ngx.maxRps)}x, CPU per request ${fmt(ngxSame.proxyCpuPer10k / ngx.proxyCpuPer10k)}x`);
      }
    }
    if (bareRow) lines.push(`- bare undici proxy (floor for node:http + undici) / nginx throughput: ${fmt(bareRow.maxRps / ngx.maxRps)}x; router / bare: ${fmt(router.maxRps / bareRow.maxRps)}x`);
  }
  if (baselineRow) {
    lines.push(`- router / router-baseline (${args.baseline}): throughput ${fmt(router.maxRps / baselineRow.maxRps)}x, CPU per request ${fmt(router.proxyCpuPer10k / baselineRow.proxyCpuPer10k)}x (at 50% load ${fmt(router.latency.proxyCpuPer10k! / baselineRow.latency.proxyCpuPer10k!)}x)`);
    if (bareRow) lines.push(`- router-baseline / bare: throughput ${fmt(baselineRow.maxRps / bareRow.maxRps)}x, CPU per request ${fmt(baselineRow.proxyCpuPer10k / bareRow.proxyCpuPer10k)}x`);
  }
  if (bareRow) {
    const ratio = router.maxRps / bareRow.maxRps;
    lines.push(`- router / bare: throughput ${fmt(ratio, 3)}x (target within 5%: ${ratio >= 0.95 ? 'met' : 'NOT met'}), CPU per request ${fmt(router.proxyCpuPer10k / bareRow.proxyCpuPer10k)}x`);
    if (bareFwdRow) {
      lines.push(`- bare-forwarded (the bare proxy sending the router's five forwarded headers) / bare: throughput ${fmt(bareFwdRow.maxRps / bareRow.maxRps, 3)}x, CPU per request ${fmt(bareFwdRow.proxyCpuPer10k / bareRow.proxyCpuPer10k)}x, backend CPU per request ${fmt(bareFwdRow.backendCpuPer10k / bareRow.backendCpuPer10k)}x`);
      lines.push(`- router / bare-forwarded (what the router costs beyond its headers): throughput ${fmt(router.maxRps / bareFwdRow.maxRps, 3)}x, CPU per request ${fmt(router.proxyCpuPer10k / bareFwdRow.proxyCpuPer10k)}x`);
    }
  }
  if (hx && hxBase) lines.push(`- haproxy-engine / haproxy-engine-baseline (${args.baseline}): throughput ${fmt(hx.maxRps / hxBase.maxRps)}x, CPU per request ${fmt(hx.proxyCpuPer10k / hxBase.proxyCpuPer10k)}x (at 50% load ${fmt(hx.latency.proxyCpuPer10k! / hxBase.latency.proxyCpuPer10k!)}x)`);
  if (ngx && baselineRow) lines.push(`- router-baseline / nginx throughput: ${fmt(baselineRow.maxRps / ngx.maxRps)}x`);
  lines.push(`- load average at the end (uptime): ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const added = addedP99(router);
  lines.push(`- router added p99 at 50% load: ${fmt(added, 3)} ms (target <= 1 ms: ${added <= 1 ? 'met' : 'NOT met'})`);
  const all = [direct, router, baselineRow, hx, hxBase, hxMin, hxMinMw, bareRow, bareFwdRow, ngx, ngxSame].filter(Boolean);
  lines.push(`- 50% load runs (${router.latency.tool}): achieved ${all.map((r) => `${r!.name} ${fmt(r!.latency.achievedRps, 0)}`).join(', ')} req/s; errors ${all.map((r) => `${r!.name} ${r!.latency.errors}`).join(', ')}`);
  for (const note of notes) lines.push(`- note: ${note}`);
  if (profile) {
    lines.push('');
    lines.push(`router CPU profile under max load (${profile.busyMs} ms busy of ${profile.totalMs} ms):`);
    lines.push('');
    lines.push('| area | share of busy time |');
    lines.push('|---|---:|');
    for (const a of profile.byArea.slice(0, 10)) lines.push(`| ${a.area} | ${a.share}% |`);
    lines.push('');
    lines.push('| function (self time) | where | share |');
    lines.push('|---|---|---:|');
    for (const f of profile.topFunctions) lines.push(`| ${f.name} | ${f.where} | ${f.share}% |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ tiny, plan, results, profile, notes }, null, 2));
}

main().catch((err: unknown) => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.stderr.write(`router-overhead: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
