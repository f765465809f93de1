#!/usr/bin/env node
// Runs one test suite with node's own test runner. Node 20 does not expand globs given
// to --test, so the suite's files are found here. A suite is chosen by file suffix:
//   unit -> *.test.ts that carry no other suite's suffix (needs nothing but node)
//   pg   -> *.pg.test.ts   (real PostgreSQL)      prom -> *.prom.test.ts (real Prometheus)
//   k8s  -> *.k8s.test.ts  (real control plane)   browser -> *.browser.test.ts (Chromium)
//   faults -> *.faults.test.ts (torn files, a full disk, fuzzed input; needs root for tmpfs)
//   pack -> *.pack.test.ts (the packed tarball installed into an empty project; needs npm)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const suite = process.argv[2] ?? 'unit';
const filters = process.argv.slice(3);
const special = ['pg', 'prom', 'k8s', 'browser', 'faults', 'pack'];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['src', 'test', 'bench'].flatMap((d) => { try { return walk(join(root, d)); } catch { return []; } })
  .filter((f) => {
    const kind = special.find((s) => f.endsWith(`.${s}.test.ts`)) ?? 'unit';
    return kind === suite;
  })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no test files for suite "${suite}"`);
  process.exit(1);
}
const concurrency = process.env.CUTOVER_TEST_CONCURRENCY ?? '1';
// CUTOVER_TEST_DURATIONS=1 adds, after the usual output, every file's time, slowest first.
const reporters = process.env.CUTOVER_TEST_DURATIONS === '1'
  ? ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts', 'test-durations-reporter.mjs')}`, '--test-reporter-destination=stdout']
  : [];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
