import type { StateStore } from '../store.ts';
import { COLORS, type Color } from '../types.ts';

/** A color that still runs a release (it is live, or not yet retired). */
export interface RecordedRelease {
  readonly color: Color;
  readonly version: string;
}

/** What cutover's record says about releases: what migrations' release gates need. */
export interface RecordedReleases {
  readonly running: readonly RecordedRelease[];
  /** Every version in deploy order, oldest first. */
  readonly releaseOrder: readonly string[];
  readonly live: RecordedRelease | null;
}

/**
 * Which colors run which release, from the platform's own record (the state file locally, the
 * state ConfigMap on Kubernetes). A color counts as running unless it is empty or retired; no
 * record means nothing was ever deployed.
 * @throws CutoverError as the store's `load` does (a damaged or unreachable record).
 */
export async function recordedReleases(store: Pick<StateStore, 'load'>): Promise<RecordedReleases> {
  const state = await store.load();
  if (!state) return { running: [], releaseOrder: [], live: null };
  const running = COLORS
    .filter((c) => state.colors[c].version && state.colors[c].state !== 'empty' && state.colors[c].state !== 'retired')
    .map((c) => ({ color: c, version: state.colors[c].version! }));
  const liveVersion = state.live ? state.colors[state.live].version : null;
  return { running, releaseOrder: state.releases, live: state.live && liveVersion ? { color: state.live, version: liveVersion } : null };
}

/** The release a manual `migrations expand|contract` records in the ledger: the live one, else the newest running one. */
export function releaseForManualRun(releases: RecordedReleases): string {
  if (releases.live) return releases.live.version;
  const ranked = [...releases.running].sort((a, b) => releases.releaseOrder.lastIndexOf(b.version) - releases.releaseOrder.lastIndexOf(a.version));
  return ranked[0]?.version ?? 'unreleased';
}
