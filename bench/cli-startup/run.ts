/**
 * CLI start-up benchmark: cutover installed from its packed tarball into an empty project (as a
 * user has it) against `node -e 0`, side by side in one hyperfine run per round:
 *   - `cutover --version`             target: within 2x of `node -e 0`
 *   - `cutover --help`                target: within 3x
 *   - `cutover status` (daemon up)    target: within 4x
 * plus, for reference, the checkout's `bin/cutover --version` (the sources through tsx, which is
 * how every installed command ran before the build). Reports, per command, the median wall time
 * over all rounds and the mean CPU time (user + system), each as a ratio to `node -e 0` of the
 * same round; CPU time is the steadier figure on a loaded shared machine.
 *
 *   node --import tsx bench/cli-startup/run.ts              # 5 rounds x 10 runs (about 2 minutes, plus the pack)
 *   BENCH_TINY=1 node --import tsx bench/cli-startup/run.ts # 1 round x 3 runs, for CI
 *   CUTOVER_TARBALL=<file.tgz> reuses a packed tarball instead of packing the checkout.
 *
 * Needs the Debian package `hyperfine` (a purpose-made timer: warm-up runs, shell-free spawns
 * with -N, per-run wall and CPU times) and npm.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleServerSource } from '../../src/demo/example-app.ts';
import { installPackedPackage } from '../../test/support/installed-package.ts';

const tiny = process.env['BENCH_TINY'] === '1';
const rounds = tiny ? 1 : 5;
const runsPerRound = tiny ? 3 : 10;
const checkoutBin = fileURLToPath(new URL('../../bin/cutover', import.meta.url));

if (spawnSync('hyperfine', ['--version']).status !== 0) {
  console.error('bench/cli-startup needs hyperfine (apt-get install -y hyperfine)');
  process.exit(1);
}

const installed = await installPackedPackage();
const cutover = join(installed.project, 'node_modules', '.bin', 'cutover');
const app = join(installed.project, 'app');
mkdirSync(join(app, 'releases', 'v1'), { recursive: true });
writeFileSync(join(app, 'releases', 'v1', 'server.js'), exampleServerSource());
writeFileSync(join(app, 'cutover.yaml'), `app: startup-bench
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
  replicas: 1
router:
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
health:
  checks:
    - http: /health/ready
monitor:
  duration: 1ms
`);
const inApp = (args: string[]) => execFileSync(cutover, args, { cwd: app, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });

interface Command { name: string; line: string; target?: number }
const commands: Command[] = [
  { name: 'node -e 0', line: `${process.execPath} -e 0` },
  { name: 'cutover --version', line: `${cutover} --version`, target: 2 },
  { name: 'cutover --help', line: `${cutover} --help`, target: 3 },
  { name: 'cutover status (daemon up)', line: `${cutover} status`, target: 4 },
  { name: 'checkout via tsx: --version', line: `${process.execPath} ${checkoutBin} --version` },
];

interface HyperfineResult { times: number[]; user: number; system: number }
const wall = new Map<string, number[]>(commands.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(commands.map((c) => [c.name, []]));
const out = join(tmpdir(), `cutover-cli-startup-${process.pid}.json`);
try {
  inApp(['up']);
  inApp(['deploy', 'v1', '--yes']);
  for (let round = 0; round < rounds; round++) {
    execFileSync('hyperfine', ['-N', '--warmup', '2', '--runs', String(runsPerRound), '--export-json', out, '--style', 'none', ...commands.map((c) => c.line)], { cwd: app, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: HyperfineResult[] }).results;
    const base = results[0]!;
    const baseWall = median(base.times);
    commands.forEach((c, i) => {
      wall.get(c.name)!.push(median(results[i]!.times) / baseWall);
      cpu.get(c.name)!.push((results[i]!.user + results[i]!.system) / (base.user + base.system));
    });
    if (round === 0) {
      console.log(`round 1 absolute medians: ${commands.map((c, i) => `${c.name} ${(median(results[i]!.times) * 1000).toFixed(0)} ms`).join(', ')}`);
    }
  }
} finally {
  try { inApp(['down']); } catch { /* reported by the command itself */ }
  rmSync(out, { force: true });
  installed.cleanup();
}

console.log(`\n${rounds} round(s) x ${runsPerRound} runs, ratios to node -e 0 in the same round (median over rounds)\n`);
console.log('| command | wall time / node -e 0 | CPU time / node -e 0 | target | met |');
console.log('|---|---|---|---|---|');
let missed = 0;
for (const c of commands.slice(1)) {
  const w = median(wall.get(c.name)!);
  const u = median(cpu.get(c.name)!);
  const met = c.target === undefined ? '' : w <= c.target ? 'yes' : 'NO';
  if (met === 'NO') missed++;
  console.log(`| ${c.name} | ${w.toFixed(2)}x | ${u.toFixed(2)}x | ${c.target ? `${c.target}x` : ''} | ${met} |`);
}
if (missed > 0) console.log(`\n${missed} target(s) missed on wall time`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
