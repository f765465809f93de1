import type { Command } from 'commander';
import { CutoverError } from '../../core/errors.ts';
import { changeFlags } from '../../core/operations/flags.ts';
import { COLORS, otherColor, type Color } from '../../core/types.ts';
import { openContext, type CommandContext } from '../context.ts';
import { terminalGate } from '../gate-prompt.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

/** `key=value`: the value is JSON when it parses (true, 3, {"a":1}), a string otherwise. */
export function parseAssignment(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CutoverError('usage', `expected key=value, got "${text}"`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

async function resolveColor(ctx: CommandContext, which: string): Promise<Color> {
  const state = await ctx.platform.store.load();
  const live = state?.live ?? null;
  if (which === 'idle') return live ? otherColor(live) : 'blue';
  if (which === 'live') {
    if (!live) throw new CutoverError('refused', 'nothing is live yet');
    return live;
  }
  if (!COLORS.includes(which as Color)) throw new CutoverError('usage', `--target-color must be idle, live, blue or green, not "${which}"`);
  return which as Color;
}

export function registerFlags(program: Command, globals: Globals): void {
  const flags = program.command('flags').description('feature flags passed to a color as FEATURE_FLAGS_JSON');
  const change = async (which: string, update: (f: Record<string, unknown>) => Record<string, unknown>) => {
    const g = globals();
    const ctx = await openContext(g, 'flags');
    try {
      const color = await resolveColor(ctx, which);
      const state = await ctx.platform.store.load();
      if (state?.live === color) {
        ctx.reporter.warn(`${color} is LIVE: changing its flags restarts its replicas one at a time while they serve traffic`);
        const gate = terminalGate({ yes: Boolean(g.yes) });
        if (!g.yes) {
          if (!gate.interactive) throw new CutoverError('usage', `changing flags on the live color ${color} needs --yes (or a TTY to confirm)`);
          if (!(await gate.confirm(`Restart live ${color} with the new flags?`, new AbortController().signal))) return 1;
        }
      }
      const result = await changeFlags(ctx.deps, color, update);
      if (g.json) printJson(result);
      else process.stderr.write(`${color}: FEATURE_FLAGS_JSON=${JSON.stringify(result.flags)} (${result.restarted === 'none' ? 'applies at its next start' : result.restarted === 'rolling' ? 'rolling restart done' : 'restarted'})\n`);
      return 0;
    } finally {
      await ctx.close();
    }
  };
  flags.command('set <assignments...>').description('set flags, e.g. new_checkout=true limit=5')
    .option('--target-color <color>', 'idle (default), live, blue or green', 'idle')
    .action((assignments: string[], options: { targetColor: string }) => change(options.targetColor, (f) => ({ ...f, ...Object.fromEntries(assignments.map(parseAssignment)) })));
  flags.command('unset <keys...>').description('remove flags')
    .option('--target-color <color>', 'idle (default), live, blue or green', 'idle')
    .action((keys: string[], options: { targetColor: string }) => change(options.targetColor, (f) => Object.fromEntries(Object.entries(f).filter(([k]) => !keys.includes(k)))));
  flags.command('list').description("show each color's flags")
    .action(async () => {
      const g = globals();
      const ctx = await openContext(g, 'flags list');
      try {
        const state = await ctx.platform.store.load();
        const out = { blue: state?.flags.blue ?? {}, green: state?.flags.green ?? {}, live: state?.live ?? null };
        if (g.json) printJson(out);
        else for (const c of COLORS) process.stdout.write(`${c}${out.live === c ? ' (live)' : ''}: ${JSON.stringify(out[c])}\n`);
        return 0;
      } finally {
        await ctx.close();
      }
    });
}
