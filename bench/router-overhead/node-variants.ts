/**
 * Node proxy processes side by side, for finding what the router costs above the bare proxy:
 * CPU per request of each proxy and of the shared backend (utime + stime from /proc) and
 * throughput, in interleaved rounds (the order rotates every round), with each variant's
 * per-round ratio to the first one and the median of those ratios. On a shared, noisy machine
 * only ratios measured within one round mean anything.
 *
 *   node --import tsx bench/router-overhead/node-variants.ts [--rounds 7] [--seconds 5] NAME=SCRIPT[:ARG,ARG]...
 *
 * Each SCRIPT is started as `node --import tsx SCRIPT <backend-url> [ARG...]` and must print
 * `READY <port>` (router-process.ts, bare-proxy.ts do). Load: 1 s warm-up, then `wrk -t1 -c64`
 * for --seconds, to backend.ts, as router-overhead does. Needs wrk; installs nothing.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readProcStat } from '../../src/process/proc-stat.ts';
import { startNodeProcess } from './node-process.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '5' },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
if (!Number.isInteger(rounds) || rounds < 1 || !(seconds > 0) || positionals.length === 0) {
  process.stderr.write('usage: node-variants.ts [--rounds N] [--seconds S] NAME=SCRIPT[:ARG,ARG]...\n');
  process.exit(2);
}
const CLK_TCK = 100;
const children: ChildProcess[] = [];

function cpuSeconds(pid: number): number {
  const stat = readProcStat(pid);
  if (!stat) throw new Error(`cannot read /proc/${pid}/stat`);
  return stat.cpuTicks / CLK_TCK;
}

async function startNode(script: string, argv: string[]): Promise<{ pid: number; port: number }> {
  const { child, port } = await startNodeProcess({ cwd: root, script, argv, children });
  return { pid: child.pid!, port };
}

function wrk(url: string, s: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c64', `-d${s}s`, url], (err, stdout) => {
      if (err) return reject(err);
      const m = /(\d+) requests in/.exec(stdout);
      if (!m) return reject(new Error(`no request count in wrk output:\n${stdout}`));
      if (/Non-2xx|Socket errors/.test(stdout)) process.stderr.write(`wrk reported errors for ${url}:\n${stdout}\n`);
      resolve(Number(m[1]));
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const loadavg = async () => (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

try {
  const backend = await startNode(join(here, 'backend.ts'), []);
  const backendUrl = `http://127.0.0.1:${backend.port}`;
  const variants = [];
  for (const spec of positionals) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const [script, extra] = spec.slice(eq + 1).split(':');
    const started = await startNode(resolve(root, script!), [backendUrl, ...(extra ? extra.split(',') : [])]);
    variants.push({ name, ...started, rps: [] as number[], cpuUs: [] as number[], backendUs: [] as number[] });
  }
  // The JIT settles in the first seconds; no round should measure that.
  for (const v of variants) await wrk(`http://127.0.0.1:${v.port}/`, 3);
  process.stdout.write(`load at start: ${await loadavg()}\n`);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length]!;
      const url = `http://127.0.0.1:${v.port}/`;
      await wrk(url, 1);
      const cpu0 = cpuSeconds(v.pid);
      const b0 = cpuSeconds(backend.pid);
      const requests = await wrk(url, seconds);
      v.rps.push(requests / seconds);
      v.cpuUs.push(((cpuSeconds(v.pid) - cpu0) / requests) * 1e6);
      v.backendUs.push(((cpuSeconds(backend.pid) - b0) / requests) * 1e6);
    }
    process.stdout.write(`round ${r + 1}: ${variants.map((v) => `${v.name} ${Math.round(v.rps[r]!)} req/s ${v.cpuUs[r]!.toFixed(1)} us`).join(' | ')} · load ${await loadavg()}\n`);
  }
  const ref = variants[0]!;
  process.stdout.write(`\n| variant | median req/s | median proxy CPU us/req | median backend CPU us/req | req/s / ${ref.name} (median of rounds) | CPU/req / ${ref.name} (median of rounds) | single-round CPU ratios |\n|---|---:|---:|---:|---:|---:|---|\n`);
  for (const v of variants) {
    const rpsRatios = v.rps.map((x, i) => x / ref.rps[i]!);
    const cpuRatios = v.cpuUs.map((x, i) => x / ref.cpuUs[i]!);
    process.stdout.write(`| ${v.name} | ${Math.round(median(v.rps))} | ${median(v.cpuUs).toFixed(1)} | ${median(v.backendUs).toFixed(1)} | ${median(rpsRatios).toFixed(3)} | ${median(cpuRatios).toFixed(3)} | ${cpuRatios.map((x) => x.toFixed(2)).join(' ')} |\n`);
  }
  process.stdout.write(`load at end: ${await loadavg()}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
}
