import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's files: ours, plus uPlot's, served from the package so the page works offline. */
export const ASSET_FILES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

const UPLOT_FILES = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

/**
 * Where the assets are: beside this module in a checkout (`src/dashboard/assets/`, uPlot from
 * node_modules), or the directory `scripts/build-dashboard.mjs` wrote next to a built bundle.
 */
function assetDir(): string {
  const candidates = ['./assets/', './dashboard/', '../dashboard/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, 'app.js')) && existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard assets not found (looked in ${candidates.join(', ')}); run \`node scripts/build-dashboard.mjs\``);
  return found;
}

function assetPath(dir: string, name: string): string {
  const local = join(dir, name);
  if (existsSync(local) || !UPLOT_FILES.has(name)) return local;
  return createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
}

const cache = new Map<string, Buffer>();

function load(name: string): Buffer {
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(assetPath(assetDir(), name));
    cache.set(name, body);
  }
  return body;
}

/** One asset by file name, or null for anything not in ASSET_FILES (so no path ever reaches the disk). */
export function readAsset(name: string): { type: string; body: Buffer } | null {
  const type = Object.hasOwn(ASSET_FILES, name) ? ASSET_FILES[name]! : null;
  if (!type) return null;
  return { type, body: load(name) };
}

/** The page, with this session's CSRF token and mode in meta tags (both are plain tokens, never user text). */
export function renderIndex(session: { csrf: string; readOnly: boolean }): string {
  if (!/^[A-Za-z0-9_-]+$/.test(session.csrf)) throw new Error('CSRF token is not base64url');
  return load('index.html').toString('utf8')
    .replace('{{csrf}}', session.csrf)
    .replace('{{readOnly}}', session.readOnly ? 'true' : 'false');
}
