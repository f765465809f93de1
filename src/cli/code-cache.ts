/*
 * Runs a CommonJS bundle (dist/cli/status-main.cjs) with V8's code cache, as Node 22's
 * `module.enableCompileCache()` would, for Node 20, which has no compile cache for user code.
 * Compiling the 290 kB status bundle took about 9 ms of every `cutover status` (a --cpu-prof's
 * `wrapSafe`), and the functions it then compiled lazily more; with the bytecode kept from an
 * earlier run, V8 deserializes instead (docs/BENCHMARKS.md, k8s-switch, statusfast).
 *
 * The cache is only ever an optimization, so nothing about it may change what the bundle does:
 *   - a file is named by a hash of Node's version, the platform and the bundle's whole text, so a
 *     new Node or a new cutover never reads bytecode made for another;
 *   - its content is checked against a hash stored in front of it before V8 sees it (V8's own
 *     checks cover versions and the source's length, not a torn or edited file: on Node 20 a
 *     changed byte was accepted and the script then spun forever), and V8 may still reject it;
 *     either way the bundle is compiled from source as if there were no cache;
 *   - it is written at exit, after the run (so it holds the functions the run compiled lazily), to
 *     a temporary file renamed into place, and only when there was no usable one;
 *   - writing one keeps the four newest entries and removes the rest (each cutover and Node
 *     version leaves one behind), and temporary files a killed run left over a minute ago;
 *   - any error reading or writing it is ignored.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { userCacheDir } from '../user-cache-dir.ts';

/** Bumped when the file layout below changes. */
const FORMAT = 'cutover-code-cache-1';
const DIGEST_BYTES = 32;
/** Entries kept: a few versions used side by side (a global and a project's cutover) each keep theirs. */
const KEPT_ENTRIES = 4;
/** A temporary file older than this belongs to a run that died before renaming it. */
const ABANDONED_AFTER_MS = 60_000;

/** What happened to the cache in one run (for tests). */
export type CodeCacheOutcome = 'used' | 'missing' | 'invalid' | 'rejected';

/**
 * Runs `bundle` (a CommonJS file) as `require(bundle)` would, with its bytecode from `cacheDir`
 * when a valid entry is there, and writes one at exit when not. `cacheDir` null: no cache.
 * @returns what was found in the cache
 */
export function runWithCodeCache(path: string, cacheDir: string | null): CodeCacheOutcome {
  const bundle = resolve(path);
  const source = readFileSync(bundle, 'utf8');
  const file = cacheDir ? join(cacheDir, `${createHash('sha256').update(`${FORMAT}\0${process.version}\0${process.platform}\0${process.arch}\0`).update(source).digest('hex').slice(0, 40)}.bin`) : null;
  const cached = file ? readEntry(file) : undefined;
  const script = new vm.Script(Module.wrap(source), {
    filename: bundle,
    ...(cached ? { cachedData: cached } : {}),
  });
  const outcome: CodeCacheOutcome = cached === undefined ? 'missing' : cached === null ? 'invalid' : script.cachedDataRejected ? 'rejected' : 'used';
  if (file && outcome !== 'used') process.once('exit', () => writeEntry(file, script));
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const module = new Module(bundle);
  module.filename = bundle;
  module.loaded = true;
  // The bundle has no import() of its own (scripts/build.mjs rewrites them to call this): on
  // Node 20 a script whose bytecode came from a code cache cannot import (nodejs/node#43663).
  // Specifiers resolve as from the bundle: relative ones against it, packages from its node_modules.
  const bundleUrl = pathToFileURL(bundle);
  (module as unknown as Record<symbol, unknown>)[Symbol.for('cutover.import')] = (specifier: string) => import(/^\.{1,2}\//.test(specifier) ? new URL(specifier, bundleUrl).href : specifier);
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return outcome;
}

/** The cached bytecode, null when the file is there but not intact, undefined when absent or unreadable. */
function readEntry(file: string): Buffer | null | undefined {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch {
    return undefined;
  }
  if (content.length <= DIGEST_BYTES) return null;
  const data = content.subarray(DIGEST_BYTES);
  return createHash('sha256').update(data).digest().equals(content.subarray(0, DIGEST_BYTES)) ? data : null;
}

function writeEntry(file: string, script: vm.Script): void {
  try {
    const data = script.createCachedData();
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, Buffer.concat([createHash('sha256').update(data).digest(), data]), { mode: 0o600 });
    renameSync(temporary, file);
    prune(dirname(file));
  } catch {
    // Not kept: the next run compiles from source again.
  }
}

/** Removes all but the KEPT_ENTRIES newest entries, and abandoned temporary files. */
function prune(dir: string): void {
  const now = Date.now();
  const entries: Array<{ path: string; mtimeMs: number }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const { mtimeMs } = statSync(path);
      if (name.endsWith('.bin')) entries.push({ path, mtimeMs });
      else if (name.endsWith('.tmp') && now - mtimeMs > ABANDONED_AFTER_MS) rmSync(path, { force: true });
    } catch {
      // Gone already (another run pruning), or not ours to judge: left as it is.
    }
  }
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path } of entries.slice(KEPT_ENTRIES)) rmSync(path, { force: true });
}

/** Where the status bundle's bytecode is kept: `code-cache/` in cutover's user cache directory. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | null {
  const base = userCacheDir(env);
  return base ? join(base, 'code-cache') : null;
}
