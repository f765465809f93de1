// A node:test reporter that prints, after the run, each test file's time (the sum of its
// top-level tests; a file's start-up is not in it) slowest first, and the failures as they
// come. scripts/test.mjs uses it beside the spec reporter when CUTOVER_TEST_DURATIONS=1, so the
// slow files of a suite can be found without reading its whole log.
import { relative } from 'node:path';

export default async function* durations(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, name, details } = event.data;
    if (nesting !== 0 || !file) continue;
    perFile.set(file, (perFile.get(file) ?? 0) + (details?.duration_ms ?? 0));
    if (event.type === 'test:fail') yield `failed: ${relative(process.cwd(), file)}: ${name}\n`;
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\ntest time per file, slowest first (${rows.length} files, ${(total / 1000).toFixed(1)} s in all):\n`;
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${relative(process.cwd(), file)}\n`;
}
