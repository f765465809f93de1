import type { AppState, Color, FlagsSource } from '../types.ts';

/** The flags a new release starts with, and where they came from, in words for the person deploying. */
export interface ReleaseFlags {
  source: Exclude<FlagsSource, 'auto'>;
  flags: Record<string, unknown>;
  /** e.g. `inherited from live blue (v1)` */
  reason: string;
}

/**
 * Chooses FEATURE_FLAGS_JSON for a release about to start on `target`. Flags are part of how
 * the live release behaves; a new release that silently started without them would change
 * behaviour at the switch. So by default it inherits the live color's flags, unless flags were
 * set on `target` after the live color went live (staged for this release), or the caller
 * asks for another source.
 */
export function chooseReleaseFlags(state: AppState, target: Color, requested: FlagsSource, defaults: Readonly<Record<string, unknown>>): ReleaseFlags {
  const live = state.live && state.live !== target ? state.live : null;
  const liveSince = live ? state.colors[live].since : null;
  const stagedAt = state.flagsChangedAt?.[target];
  const staged = Boolean(stagedAt && (!liveSince || stagedAt > liveSince));
  const source: ReleaseFlags['source'] = requested !== 'auto' ? requested : live && !staged ? 'live' : 'idle';
  if (source === 'live') {
    if (!live) return { source: 'idle', flags: { ...state.flags[target] }, reason: `kept ${target}'s own flags (nothing is live to inherit from)` };
    return { source, flags: { ...state.flags[live] }, reason: `inherited from live ${live} (${state.colors[live].version})` };
  }
  if (source === 'defaults') return { source, flags: { ...defaults }, reason: 'the config defaults (flags:)' };
  return { source, flags: { ...state.flags[target] }, reason: staged ? `set on ${target} with \`cutover flags\` for this release` : `${target}'s own flags` };
}
