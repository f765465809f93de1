/*
 * Imported first by main.ts, before anything loads picocolors. picocolors decides once, at
 * import, that `--color` anywhere in argv means "force ANSI colour", so `cutover logs --color
 * blue | grep` got escape codes in the pipe. The option that picks a color is now
 * `--target-color`; the old spelling is rewritten here, before picocolors reads argv, and
 * keeps working for scripts with a deprecation note. A bare `--color` (no color name after
 * it) is left alone: that one is a request for colour.
 */
const COLOR_NAMES = new Set(['blue', 'green', 'live', 'idle']);

/** Rewrites `--color <name>` and `--color=<name>` to `--target-color`; returns the notes to print. */
export function rewriteLegacyColorFlag(argv: string[]): string[] {
  const notes: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    const inline = /^--color=(.*)$/.exec(arg);
    if (inline && COLOR_NAMES.has(inline[1]!)) {
      argv[i] = `--target-color=${inline[1]}`;
      notes.push(`--color=${inline[1]} is deprecated; use --target-color=${inline[1]}`);
    } else if (arg === '--color' && COLOR_NAMES.has(argv[i + 1] ?? '')) {
      argv[i] = '--target-color';
      notes.push(`--color ${argv[i + 1]} is deprecated; use --target-color ${argv[i + 1]}`);
    }
  }
  return notes;
}

for (const note of rewriteLegacyColorFlag(process.argv)) process.stderr.write(`warning: ${note} (\`--color\` also makes colour output libraries force ANSI codes into pipes)\n`);
