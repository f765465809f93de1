import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Every shipped source module: .ts under src/ that is not a test and not a fixture. */
function shippedModules(dir = src): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'fixtures' && entry.name !== 'node_modules') out.push(...shippedModules(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/**
 * The relative modules `file` needs at load time: static imports and re-exports that bring a
 * value. `import type`, imports of nothing but types, and `import()` (lazy on purpose, e.g.
 * the verb registry) do not tie modules together when they load.
 */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"](\.[^'"]+)['"]/gms;
  for (const m of text.matchAll(statement)) {
    if (m[2]) continue;
    const names = m[3]!.trim();
    const braces = /^\{([^}]*)\}$/s.exec(names);
    if (braces && braces[1]!.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    out.push(resolve(dirname(file), m[4]!));
  }
  for (const m of text.matchAll(/^import\s+['"](\.[^'"]+)['"]/gm)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

/** The first cycle found among value imports, as a list of paths relative to the repo, or null. */
function findCycle(files: string[]): string[] | null {
  const edges = new Map(files.map((f) => [f, valueImports(f).filter((t) => t.startsWith(src))]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file].map((f) => relative(root, f));
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of files) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe('source layout', () => {
  const files = shippedModules();

  test('no module under src/ imports from test/ or is a test helper', () => {
    const offenders = files.filter((f) => /(^|\/)(test-[^/]*|testing)(\/|\.ts$)/.test(relative(src, f))
      || valueImports(f).some((t) => t.startsWith(join(root, 'test')))
      || /from ['"]node:test['"]/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders.map((f) => relative(root, f)), []);
  });

  test('no value-level import cycle in src/', () => {
    assert.equal(findCycle(files)?.join(' -> ') ?? null, null);
  });

});
