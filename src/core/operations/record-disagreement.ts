import type { PlatformStatus } from '../driver.ts';
import type { AppState } from '../types.ts';

/**
 * Where cutover's record and the platform disagree about what serves live traffic, in one
 * sentence; null when they agree. Only meaningful with no operation in progress (an operation
 * moves traffic on purpose, and `resume` reconciles it).
 */
export function recordDisagreement(state: AppState | null, platform: PlatformStatus): string | null {
  const recordedLive = state?.live ?? null;
  const recordedVersion = recordedLive ? state!.colors[recordedLive].version : null;
  const realVersion = platform.live ? platform.colors[platform.live].version : null;
  if (recordedLive === platform.live && (recordedLive === null || recordedVersion === realVersion)) return null;
  const recorded = state === null ? 'cutover has no record (state.json is missing)' : `cutover's record says ${recordedLive ? `${recordedLive} (${recordedVersion}) is live` : 'nothing is live'}`;
  const real = platform.live ? `the platform routes live traffic to ${platform.live} (${realVersion ?? 'unknown version'})` : 'the platform routes live traffic to nothing';
  return `${recorded}, but ${real}`;
}
