import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exampleServerSource } from '../src/demo/example-app.ts';
import { installPackedPackage, type InstalledPackage } from './support/installed-package.ts';

// The package as a user gets it: packed, installed into an empty project with npm, run with
// none of the checkout's devDependencies (no tsx, no Kubernetes client, no PGlite).
const execFileAsync = promisify(execFile);
let installed: InstalledPackage;

before(async () => { installed = await installPackedPackage(); }, { timeout: 600_000 });
after(() => installed?.cleanup());

function cutover(args: string[], cwd = installed.project, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...extraEnv };
    delete env['DATABASE_URL'];
    const child = spawn(process.execPath, [installed.bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('the tarball ships the compiled CLI, its types and the schema, and no sources, tests or CI scripts', async () => {
  const { stdout } = await execFileAsync('tar', ['tzf', installed.tarball]);
  const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  for (const needed of ['bin/cutover', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'schema/cutover.schema.json', 'package.json', 'README.md']) {
    assert.ok(files.includes(needed), `${needed} is in the tarball`);
  }
  const unwanted = files.filter((f) => /^(src|test|bench|scripts|\.ci)\//.test(f) || /\.test\.|fixtures\/|testing\/|tsconfig|K8S-TESTENV/.test(f));
  assert.deepEqual(unwanted, []);
});

test('installing pulls no TypeScript runner, no Kubernetes client and no PGlite', () => {
  const modules = join(installed.project, 'node_modules');
  for (const pkg of ['tsx', 'esbuild', 'typescript', '@kubernetes/client-node', '@electric-sql/pglite']) {
    assert.equal(existsSync(join(modules, pkg)), false, `${pkg} was installed`);
  }
  const manifest = JSON.parse(readFileSync(join(modules, 'cutover', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(manifest.dependencies['tsx'], undefined);
});

test('--version and --help answer from the compiled build', async () => {
  const manifest = JSON.parse(readFileSync(join(installed.project, 'node_modules', 'cutover', 'package.json'), 'utf8')) as { version: string };
  const version = await cutover(['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), manifest.version);
  const help = await cutover(['--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const verb of ['deploy', 'rollback', 'status', 'migrations', 'demo']) assert.match(help.stdout, new RegExp(`\\n  ${verb}\\b`));
});

test('dist/ is a bundle: a few entry points and shared chunks, not one file per source module', () => {
  const dist = join(installed.project, 'node_modules', 'cutover', 'dist');
  const scripts = (dir: string): string[] => readdirSync(join(dist, dir), { withFileTypes: true }).flatMap((e) => e.isDirectory() ? scripts(join(dir, e.name)) : /\.c?js$/.test(e.name) ? [join(dir, e.name)] : []);
  // dashboard/ holds the page's browser scripts, served as they are.
  const all = scripts('.').filter((f) => !f.startsWith('dashboard/'));
  assert.ok(all.every((f) => /^(index\.js|cli\/main\.js|cli\/status-main\.cjs|cli\/code-cache\.cjs|ci\/github-action\.js|chunks\/[^/]+\.js)$/.test(f)), all.filter((f) => !f.startsWith('chunks/')).join(', '));
  // The status fast path is one CommonJS file of its own (src/cli/status-main.ts), no chunks.
  assert.ok(all.includes('cli/status-main.cjs'), 'the status fast path');
  assert.ok(!all.some((f) => f.startsWith('chunks/status-chunk-')), 'the status fast path has no chunks');
  // The verbs stay lazily loaded: each has a chunk of its own.
  for (const verb of ['status', 'deploy', 'up', 'migrations-cli']) assert.ok(all.some((f) => f.startsWith(`chunks/${verb}-`)), `a chunk for ${verb}`);
});

test('the installed CLI runs a release through its daemon, and status reads it', async () => {
  const app = join(installed.project, 'local-app');
  mkdirSync(join(app, 'releases', 'v1'), { recursive: true });
  writeFileSync(join(app, 'releases', 'v1', 'server.js'), exampleServerSource());
  writeFileSync(join(app, 'cutover.yaml'), 'app: installed\nplatform:\n  kind: local\n  command: ["node", "server.js"]\n  cwd: releases/${version}\n  replicas: 1\nrouter:\n  listen: 127.0.0.1:0\n  preview: 127.0.0.1:0\nhealth:\n  checks:\n    - http: /health/ready\nmonitor:\n  duration: 1ms\n');
  try {
    const up = await cutover(['up'], app);
    assert.equal(up.code, 0, up.stderr);
    const deploy = await cutover(['deploy', 'v1', '--yes'], app);
    assert.equal(deploy.code, 0, deploy.stderr);
    // Twice: the first status validates the config, the second is served from the config cache.
    for (const round of [1, 2]) {
      const status = await cutover(['status', '--json'], app);
      assert.equal(status.code, 0, `status ${round}: ${status.stderr}`);
      const report = JSON.parse(status.stdout) as { live: { color: string; version: string }; colors: Record<string, { healthy: boolean | null }> };
      assert.deepEqual(report.live, { color: 'blue', version: 'v1' });
      assert.equal(report.colors['blue']?.healthy, true);
    }
    assert.ok(existsSync(join(app, '.cutover', 'config-cache.json')));
    // The status fast path (dist/cli/status-main.cjs) keeps the config itself, as the full program does:
    // a .cjs build once took itself for sources (only `.js` counted as compiled) and parsed every time.
    rmSync(join(app, '.cutover', 'config-cache.json'));
    const refill = await cutover(['status', '--json'], app);
    assert.equal(refill.code, 0, refill.stderr);
    assert.ok(existsSync(join(app, '.cutover', 'config-cache.json')), 'status wrote the config cache');
    // On Node 20 the status bundle keeps V8's bytecode of itself (src/cli/code-cache.ts): the
    // first run writes it, the next runs from it, and a command line the fast path hands to the
    // full program still imports it (the bundle's import() goes through the loader).
    const userCache = join(installed.project, 'user-cache');
    const fresh = [];
    for (let i = 0; i < 2; i++) fresh.push(await cutover(['status', '--json'], app, { XDG_CACHE_HOME: userCache }));
    assert.deepEqual(fresh.map((r) => [r.code, r.stderr]), [[0, ''], [0, '']]);
    assert.equal(fresh[1]!.stdout.length > 0, true);
    if (!('enableCompileCache' in (await import('node:module')))) assert.equal(readdirSync(join(userCache, 'cutover', 'code-cache')).length, 1);
    const fallback = await cutover(['status', '--bogus'], app, { XDG_CACHE_HOME: userCache });
    assert.equal(fallback.code, 2, fallback.stderr);
    assert.match(fallback.stderr, /unknown option '--bogus'/);
  } finally {
    const down = await cutover(['down'], app);
    assert.equal(down.code, 0, down.stderr);
  }
});

test('the installed status fast path prints and exits as the full program does, from a cold and a filled code cache', async () => {
  const dir = join(installed.project, 'fast-path');
  mkdirSync(dir);
  writeFileSync(join(dir, 'cutover.yaml'), 'app: fast\nplatform:\n  kind: local\n  command: ["node", "server.js"]\nhealth:\n  checks:\n    - http: /health\n');
  const lines = [['status'], ['status', '--json'], ['status', '-c', 'missing.yaml'], ['status', '--json', '-c', 'missing.yaml'], ['status', '--bogus'], ['status', '--help']];
  for (const [i, args] of lines.entries()) {
    // A cache directory of its own for each line: its first fast run is cold and writes the code cache.
    const env = { XDG_CACHE_HOME: join(dir, `user-cache-${i}`) };
    for (const round of ['cold', 'filled']) {
      const fast = await cutover(args, dir, env);
      const full = await cutover(args, dir, { ...env, CUTOVER_STATUS_FAST_PATH: '0' });
      assert.deepEqual(fast, full, `cutover ${args.join(' ')} (${round} code cache)`);
    }
  }
});

test('the installed CLI writes a job summary for a deploy that ends in an error, and --help shows the verbs\' arguments', async () => {
  const dir = join(installed.project, 'summary');
  mkdirSync(dir);
  const summary = join(dir, 'summary.md');
  const deploy = await cutover(['deploy', 'v1'], dir, { GITHUB_STEP_SUMMARY: summary });
  assert.equal(deploy.code, 2, deploy.stderr);
  assert.match(readFileSync(summary, 'utf8'), /deploy/);
  assert.match(readFileSync(summary, 'utf8'), /no config at/);
  const help = await cutover(['--help']);
  assert.match(help.stdout, /\n  deploy \[options\] <version>/);
  assert.match(help.stdout, /\n  flags set\|unset\|list/);
});

test('a Kubernetes config without @kubernetes/client-node fails as a config error naming the package', async () => {
  const dir = join(installed.project, 'k8s');
  mkdirSync(dir);
  writeFileSync(join(dir, 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: x\n');
  writeFileSync(join(dir, 'cutover.yaml'), 'app: shop\nplatform:\n  kind: kubernetes\n  namespace: prod\n  service: shop\n  deployment: deployment.yaml\n  image: registry.example/shop:${version}\nhealth:\n  checks:\n    - http: /health\n');
  // A verb that changes the cluster needs the client. (`status` and `history` read without it
  // when the kubeconfig allows: read-only-status.k8s.test.ts.)
  const deploy = await cutover(['deploy', 'v1'], dir);
  assert.equal(deploy.code, 2, `${deploy.stdout}\n${deploy.stderr}`);
  assert.match(deploy.stderr, /platform\.kind: kubernetes needs the optional package @kubernetes\/client-node/);
  assert.match(deploy.stderr, /npm install @kubernetes\/client-node/);
});

test('migrations on the embedded database without @electric-sql/pglite fail as a config error naming the package', async () => {
  const dir = join(installed.project, 'pglite');
  mkdirSync(join(dir, 'migrations', 'expand'), { recursive: true });
  mkdirSync(join(dir, 'migrations', 'contract'), { recursive: true });
  writeFileSync(join(dir, 'migrations', 'expand', '001-add.sql'), 'ALTER TABLE orders ADD COLUMN note text;\n');
  writeFileSync(join(dir, 'cutover.yaml'), 'app: shop\nplatform:\n  kind: local\n  command: ["node", "server.js"]\nhealth:\n  checks:\n    - http: /health\nmigrations:\n  expand: migrations/expand\n  contract: migrations/contract\n');
  // Lint needs no database, so it works without PGlite ...
  const lint = await cutover(['migrations', 'lint', 'migrations/expand'], dir);
  assert.equal(lint.code, 0, `${lint.stdout}\n${lint.stderr}`);
  // ... and applying does, so it names the package to install.
  const status = await cutover(['migrations', 'status'], dir);
  assert.equal(status.code, 2, `${status.stdout}\n${status.stderr}`);
  assert.match(status.stderr, /needs the optional package @electric-sql\/pglite/);
});

test('the programmatic API imports from the package name, with types', async () => {
  const script = [
    "import { parseConfig, EXIT_CODES, CutoverError } from 'cutover';",
    "const config = parseConfig('app: api\\nplatform:\\n  kind: local\\n  command: [node, s.js]\\nhealth:\\n  checks:\\n    - http: /h\\n', '/tmp/cutover.yaml');",
    "let named = '';",
    "try { parseConfig('app: api\\nplatform:\\n  kind: local\\n  replicas: two\\n', '/tmp/cutover.yaml'); } catch (err) { named = err instanceof CutoverError ? err.message : 'not a CutoverError'; }",
    'console.log(JSON.stringify({ app: config.app, locked: EXIT_CODES.locked, named }));',
  ].join('\n');
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: installed.project });
  const out = JSON.parse(stdout) as { app: string; locked: number; named: string };
  assert.equal(out.app, 'api');
  assert.equal(out.locked, 3);
  assert.match(out.named, /platform\.replicas/);
  const types = readFileSync(join(installed.project, 'node_modules', 'cutover', 'dist', 'index.d.ts'), 'utf8');
  assert.match(types, /export \{ deploy \}/);
});
