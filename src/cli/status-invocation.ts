import type { GlobalOptions } from './context.ts';

/** A `cutover status` command line, as the full program (program.ts, commands/status.ts) would read it. */
export interface StatusInvocation {
  globals: GlobalOptions;
  watch: boolean;
  probe: boolean;
}

const FLAGS: Readonly<Record<string, 'json' | 'yes' | 'watch' | 'probe'>> = { '--json': 'json', '-y': 'yes', '--yes': 'yes', '-w': 'watch', '--watch': 'watch', '--probe': 'probe' };

/**
 * The status invocation `args` (argv without node and the script) is, if it is one this reader
 * fully understands: the operand `status` once, and only the program's and the verb's own
 * flags in their plain spellings, each at most once. Anything else (`--help`, `-V`, a combined
 * `-wy`, `-cfile`, `--`, an unknown flag, a second operand, `--color`) gives undefined, and the
 * full commander program reads it: its messages for bad usage stay the only ones.
 */
export function readStatusInvocation(args: readonly string[]): StatusInvocation | undefined {
  let verb = false;
  let config: string | undefined;
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === 'status' && !verb) { verb = true; continue; }
    const inlineConfig = /^--config=(.*)$/s.exec(arg);
    if (arg === '-c' || arg === '--config' || inlineConfig) {
      if (config !== undefined) return undefined;
      // commander takes the next argument as the value whatever it looks like.
      config = inlineConfig ? inlineConfig[1]! : args[++i];
      if (config === undefined) return undefined;
      continue;
    }
    const flag = FLAGS[arg];
    if (!flag || seen.has(flag)) return undefined;
    seen.add(flag);
  }
  if (!verb) return undefined;
  return {
    globals: { config: config ?? 'cutover.yaml', ...(seen.has('json') ? { json: true } : {}), ...(seen.has('yes') ? { yes: true } : {}) },
    watch: seen.has('watch'),
    probe: seen.has('probe'),
  };
}
