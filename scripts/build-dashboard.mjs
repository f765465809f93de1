#!/usr/bin/env node
// Builds the dashboard's assets into one directory a package can ship: our page, script and
// styles from src/dashboard/assets/, plus uPlot's browser build from node_modules, so the
// page needs no CDN. Usage: node scripts/build-dashboard.mjs [out-dir] (default dist/dashboard).
// A checkout needs no build: src/dashboard/dashboard-assets.ts serves the same files from source.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? join(root, 'dist', 'dashboard'));
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of ['index.html', 'app.js', 'style.css']) copyFileSync(join(root, 'src', 'dashboard', 'assets', name), join(out, name));
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(require.resolve(`uplot/dist/${name}`), join(out, name));
process.stdout.write(`dashboard assets written to ${out}\n`);
