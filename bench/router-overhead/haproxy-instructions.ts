/**
 * User-space instructions per request of HAProxy through the config the haproxy engine
 * generates, against the same config without the drain-cut rules (drain-cut.ts): what those
 * rules cost every request, in a figure that does not move with the shared machine's load.
 *
 * Each variant runs under `valgrind --tool=callgrind` twice, for N1 and N2 sequential requests
 * on one keep-alive connection; the difference of the two totals over N2 - N1 is the cost of
 * one request (start-up and shut-down cancel out). `master-worker` is left out of the measured
 * config so that the one process valgrind watches is the one serving; it changes nothing per
 * request. The request log is off (no logPort), as in the earlier callgrind rows.
 *
 *   node --import tsx bench/router-overhead/haproxy-instructions.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { haproxyConfig } from '../../src/router/haproxy/haproxy-config.ts';
import { drainCutLua } from '../../src/router/haproxy/drain-cut.ts';
import { pauseHoldLua } from '../../src/router/haproxy/pause-hold.ts';
import { NO_SPLIT_NAMES } from '../../src/router/haproxy/split-rules.ts';
import { freePort } from '../../src/drivers/local/free-port.ts';

const N1 = 1000;
const N2 = 3000;

const body = Buffer.from('ok\n');
const backend = createServer((req, res) => {
  req.resume();
  res.writeHead(200, ['content-type', 'text/plain', 'content-length', String(body.length)]);
  res.end(body);
});
backend.keepAliveTimeout = 65_000;
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as AddressInfo).port;

const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-hxi-'));
const mapFile = join(dir, 'routing.map');
writeFileSync(mapFile, 'live blue\n');
const pauseLuaFile = join(dir, 'pause-hold.lua');
writeFileSync(pauseLuaFile, pauseHoldLua(mapFile, 10_000));
const drainCutLuaFile = join(dir, 'drain-cut.lua');
writeFileSync(drainCutLuaFile, drainCutLua(5_000));
const port = await freePort('127.0.0.1');
const generated = haproxyConfig({
  dir, mapFile, runtimeSocket: join(dir, 'api.sock'),
  main: { host: '127.0.0.1', port },
  drainTimeoutMs: 5_000, upstreamHeadersTimeoutMs: 300_000, trustedProxies: [],
  servers: { blue: new Map([[1, `127.0.0.1:${backendPort}`]]), green: new Map() },
  split: NO_SPLIT_NAMES, pauseLuaFile, drainCutLuaFile,
  relaySockets: { main: join(dir, 'relay-main.sock'), preview: join(dir, 'relay-preview.sock') },
}).split('\n').filter((l) => l.trim() !== 'master-worker');
if (!generated.some((l) => l.includes('tcp-response'))) throw new Error('the generated config has no drain-cut rules to compare against');

const variants: Record<string, string> = {
  'generated config': generated.join('\n'),
  'without the drain-cut rules': generated.filter((l) => !l.includes('tcp-response') && !l.includes(drainCutLuaFile)).join('\n'),
};

async function listening(deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('HAProxy under valgrind did not listen within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Total instructions (Ir) of one HAProxy run under callgrind that served `n` requests. */
async function instructions(name: string, config: string, n: number): Promise<number> {
  const cfg = join(dir, 'measured.cfg');
  writeFileSync(cfg, config);
  const out = join(dir, `cg-${name.replace(/\W+/g, '-')}-${n}`);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'haproxy', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await listening(Date.now() + 60_000);
    const agent = new Agent({ connections: 1, pipelining: 1 });
    for (let i = 0; i < n; i++) {
      const r = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`${name}: request ${i} answered ${r.statusCode}`);
    }
    await agent.close();
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!summary) throw new Error(`${name}: no callgrind summary in ${out}; valgrind said: ${stderr.slice(-500)}`);
  return Number(summary[1]);
}

try {
  const perRequest: Record<string, number> = {};
  const runs: Record<string, number[]> = {};
  // Interleaved, so both variants see the same machine (the counts barely depend on it).
  for (const n of [N1, N2]) {
    for (const [name, config] of Object.entries(variants)) (runs[name] ??= []).push(await instructions(name, config, n));
  }
  for (const [name, [a, b]] of Object.entries(runs)) perRequest[name] = (b! - a!) / (N2 - N1);
  for (const [name, ir] of Object.entries(perRequest)) console.log(`${name}: ${(ir / 1000).toFixed(1)}k instructions per request`);
  const [withRules, without] = [perRequest['generated config']!, perRequest['without the drain-cut rules']!];
  console.log(`ratio generated / without the drain-cut rules: ${(withRules / without).toFixed(3)}x (+${((withRules - without) / 1000).toFixed(1)}k per request)`);
} finally {
  backend.close();
  backend.closeAllConnections();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
}
