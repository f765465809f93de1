#!/usr/bin/env node
// `npm run build`: the installed package's dist/.
//   - JavaScript: esbuild bundles each entry point (ESM, minified, with code splitting, so every
//     verb and platform stays in its own lazily imported chunk). Loading ~160 small modules cost
//     `cutover status` more CPU than running them (docs/BENCHMARKS.md, cli-startup).
//   - Types: tsc writes the declarations only (dist/**/*.d.ts, for `exports` and `types`).
//   - The dashboard's assets (scripts/build-dashboard.mjs).
// Bundled code runs from dist/chunks/, not from where its source sits, so code that needs a
// package file (package.json, bin/cutover) finds it with src/package-root.ts.
// For reading a stack trace: CUTOVER_BUILD_MINIFY=0 keeps names; CUTOVER_BUILD_TYPES=0 skips tsc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const manifest = require('../package.json');

// Not bundled: the optional peers (absent from most installs: their absence must stay a clear
// config error at the moment one is needed), packages that read files beside their own code
// (libpg-query's WebAssembly, uPlot's browser build served by the dashboard), and pg, whose
// optional native binding is a dynamic require.
const external = [...Object.keys(manifest.peerDependencies ?? {}), 'libpg-query', 'pg', 'uplot'];

// `await import('undici')` of a bundled CommonJS package gives only a default export (Node itself
// finds the named ones), so `const { request } = await import('undici')` would get undefined.
// Such imports (undici, and yaml for a kubeconfig the cache misses) go through a small module
// that names each export.
const COMMONJS_IMPORTED_LAZILY = ['undici', 'yaml'];
const namedCommonJsExports = {
  name: 'named-commonjs-exports',
  setup(esbuild) {
    const filter = new RegExp(`^(${COMMONJS_IMPORTED_LAZILY.join('|')})$`);
    esbuild.onResolve({ filter }, (args) => args.kind === 'dynamic-import' ? { path: args.path, namespace: 'named-commonjs-exports' } : undefined);
    esbuild.onLoad({ filter: /.*/, namespace: 'named-commonjs-exports' }, (args) => {
      const names = Object.keys(require(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
      return { contents: `import m from ${JSON.stringify(args.path)};\nexport const { ${names.join(', ')} } = m;\nexport default m;\n`, resolveDir: root };
    });
  },
};

rmSync(dist, { recursive: true, force: true });
// What both builds below (the full program and the status fast path) share.
const bundleOptions = {
  absWorkingDir: root,
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${manifest.engines.node.replace(/^>=\s*/, '')}`,
  minify: process.env.CUTOVER_BUILD_MINIFY !== '0',
  legalComments: 'linked',
  external,
  // Bundled CommonJS packages (commander, yaml's CJS parts...) call require() for node builtins.
  banner: { js: "import{createRequire as __cutoverRequire}from'node:module';const require=__cutoverRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
};
const { metafile } = await build({
  ...bundleOptions,
  entryPoints: {
    'cli/main': 'src/cli/main.ts',
    'ci/github-action': 'src/ci/github-action.ts',
    index: 'src/index.ts',
  },
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [namedCommonJsExports],
});
// The status fast path (src/cli/status-main.ts) is ONE CommonJS file, dist/cli/status-main.cjs,
// that bin/cutover loads with require(): Node 20's ES module loader costs every file its resolve,
// read, compile and link, and the split ESM status path loaded 16 of them (docs/BENCHMARKS.md,
// k8s-switch, statusfast). Unsplit, its lazy imports become lazy initializers inside the one file,
// and a package it imports is required only when the code importing it first runs; so packages
// stay outside it (`packages: 'external'`, resolved from node_modules as installed) and the
// config-cache hit never loads zod or the YAML parser. (An unsplit *ESM* file was far slower:
// there esbuild hoists every package import to the top.) Its fallback to the full program stays a
// real import() of the split build's main.js beside it, so the program is not loaded twice.
const fullProgram = {
  name: 'full-program-external',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/main\.ts$/ }, (args) => args.importer.endsWith(join('src', 'cli', 'status-main.ts')) ? { path: './main.js', external: true } : undefined);
  },
};
// The status bundle's own import() calls (the few that stay: packages loaded lazily, the full
// program) are rewritten to call a function its loader gives it. On Node 20, V8 loses what an
// import() needs when a script's bytecode comes from a code cache ("A dynamic import callback was
// not specified": nodejs/node#43663, fixed in V8 only for Node 22+), and the loader that runs
// this file with one (src/cli/code-cache.ts) can import on its behalf. Loaded by a plain
// require(), the bundle imports itself. Only literal specifiers are rewritten, and the build
// fails unless it rewrote exactly the dynamic imports esbuild left in (the metafile lists them).
const STATUS_IMPORT = "const __cutoverImport=module[Symbol.for('cutover.import')]??(s=>import(s));";
const statusBuild = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/status-main.ts'],
  outfile: join(dist, 'cli', 'status-main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: bundleOptions.target,
  minify: bundleOptions.minify,
  legalComments: 'linked',
  packages: 'external',
  // CommonJS has no import.meta: code that finds files from its own URL (package-root.ts) gets this file's.
  define: { 'import.meta.url': '__cutoverImportMetaUrl' },
  banner: { js: "const __cutoverImportMetaUrl=require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
  write: false,
  logLevel: 'warning',
  plugins: [fullProgram],
});
for (const file of statusBuild.outputFiles) {
  if (!file.path.endsWith('.cjs')) {
    writeFileSync(file.path, file.contents);
    continue;
  }
  const expected = Object.values(statusBuild.metafile.outputs).flatMap((output) => output.imports).filter((i) => i.kind === 'dynamic-import' && i.external).length;
  let rewritten = 0;
  const text = file.text.replace(/\bimport\((?=["'`])/g, () => { rewritten++; return '__cutoverImport('; });
  if (rewritten !== expected || /\bimport\(/.test(text.replace(STATUS_IMPORT, ''))) {
    console.error(`build: the status bundle has ${expected} dynamic imports, ${rewritten} were rewritten; see scripts/build.mjs`);
    process.exit(1);
  }
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, STATUS_IMPORT + text);
}
// Node 20 has no compile cache for user code (module.enableCompileCache is 22.1+), so there
// bin/cutover runs the status bundle through src/cli/code-cache.ts, which keeps V8's bytecode of
// it between runs. Its own small file: it must be loaded before the bundle it caches.
const codeCacheBuild = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/code-cache.ts'],
  outfile: join(dist, 'cli', 'code-cache.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: bundleOptions.target,
  minify: bundleOptions.minify,
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
});
Object.assign(metafile.outputs, statusBuild.metafile.outputs, codeCacheBuild.metafile.outputs);
// `import { z } from 'zod'` anywhere makes the bundle keep zod's whole namespace object, and with
// it every locale (about 260 kB that each command validating anything would load); the
// namespace import `import * as z from 'zod'` lets the unused parts go.
const bundledLocales = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs)).filter((input) => /zod\/v4\/locales\/(?!en\.js|index\.js)/.test(input));
if (bundledLocales.length > 0) {
  console.error(`build: zod's locales were bundled (${bundledLocales.length} files): write \`import * as z from 'zod'\`, not \`import { z } from 'zod'\``);
  process.exit(1);
}
if (process.env.CUTOVER_BUILD_TYPES !== '0') execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'scripts', 'build-dashboard.mjs'), join(dist, 'dashboard')], { cwd: root, stdio: 'inherit' });
