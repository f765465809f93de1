import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Module resolve hooks run on their own thread, so the hook appends each resolved URL to a
// file rather than reporting through the process it observes.
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + '\\n');
  return result;
}
`;

// Node 20's resolve hooks see import, not require(): CommonJS code (bin/cutover, the status
// bundle, the packages it requires) is traced by wrapping the CommonJS resolver, each file as a URL.
const REQUIRE_TRACE = (out: string) => `import { appendFileSync } from 'node:fs';
import { createRequire, builtinModules } from 'node:module';
import { pathToFileURL } from 'node:url';
const Module = createRequire(import.meta.url)('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const filename = resolveFilename.apply(this, args);
  appendFileSync(${JSON.stringify(out)}, (builtinModules.includes(filename.replace(/^node:/, '')) ? 'node:' + filename.replace(/^node:/, '') : pathToFileURL(filename).href) + '\\n');
  return filename;
};
`;

/** What a traced run did: its exit code, output, and every module URL it resolved. */
export interface TracedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  modules: string[];
}

/** Runs `node <script> <args>` and lists every module it resolved (builtins, packages, sources). */
export async function traceModules(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<TracedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-trace-'));
  try {
    const out = join(dir, 'modules.txt');
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { out: ${JSON.stringify(out)} } });\n${REQUIRE_TRACE(out)}`);
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, script, ...args], {
      cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    const modules = existsSync(out) ? [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))] : [];
    return { code, stdout, stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `code` (lines of an ES module, which may `await import()` TypeScript sources through tsx)
 * in a new node and lists every module it resolved: which modules a source file pulls in.
 */
export async function traceTypeScript(code: readonly string[]): Promise<TracedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-trace-src-'));
  try {
    const script = join(dir, 'run.mjs');
    writeFileSync(script, [
      `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});`,
      'register();',
      ...code,
    ].join('\n'));
    return await traceModules(script, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `await import(url)` for each module, as lines for traceTypeScript. */
export const importLines = (urls: readonly string[]): string[] => urls.map((url) => `await import(${JSON.stringify(url)});`);
