import type { LedgerEntry } from './ledger.ts';

/** A color that is live, or not yet retired, and the release it runs. */
export interface RunningRelease {
  color: string;
  version: string;
}

/** What the caller knows about releases: which run now, and the order they were deployed in. */
export interface ReleaseContext {
  running: readonly RunningRelease[];
  /** Every version in deploy order, oldest first. */
  releaseOrder: readonly string[];
  /** The live release, recorded in the ledger by manual `migrations expand|contract` runs. */
  live?: RunningRelease | null;
}

/** Why `migrations contract` may not run now. */
export interface ContractRefusal {
  reason: string;
  /** The release the newest expand migration was applied for. */
  blockingRelease: string;
  /** The color still running an older release. */
  color: string;
}

/** Why a rollback to an older release is refused. */
export interface RollbackBlock {
  /** The contract migration that removed what the older release needs, e.g. `004_drop_name.sql`. */
  migration: string;
  /** The release during which it ran. */
  release: string;
  message: string;
}

/** Position of a version in deploy order; -1 when unknown (which gates treat as "not provably safe"). */
function rank(order: readonly string[], version: string): number {
  return order.lastIndexOf(version);
}

/**
 * Contract migrations remove what older releases still use, so they wait until no old
 * release runs: every running color must run the newest of (the release that applied the
 * newest expand migration, the live release, any running release). A version missing from
 * `releaseOrder` cannot be proven new enough and blocks unless it is that release itself.
 * Pure; returns null when contract may run.
 */
export function contractRefusal(ledger: readonly LedgerEntry[], ctx: ReleaseContext): ContractRefusal | null {
  const newestExpand = [...ledger].reverse().find((e) => e.phase === 'expand');
  const candidates: Array<{ version: string; why: string }> = [];
  if (newestExpand) candidates.push({ version: newestExpand.release, why: `the release that applied expand migration ${newestExpand.name}` });
  if (ctx.live) candidates.push({ version: ctx.live.version, why: `which is live on ${ctx.live.color}` });
  for (const r of ctx.running) candidates.push({ version: r.version, why: `which ${r.color} runs` });
  if (candidates.length === 0) return null;
  const needed = candidates.reduce((best, c) => (rank(ctx.releaseOrder, c.version) > rank(ctx.releaseOrder, best.version) ? c : best));
  const neededRank = rank(ctx.releaseOrder, needed.version);
  for (const r of ctx.running) {
    const runningRank = rank(ctx.releaseOrder, r.version);
    const older = neededRank < 0 || runningRank < 0 ? r.version !== needed.version : runningRank < neededRank;
    if (older) {
      return {
        reason: `${r.color} still runs ${r.version}, which is older than ${needed.version}, ${needed.why}; `
          + `contract migrations may remove what ${r.version} uses. Retire ${r.color} (let the deploy finish, or run cutover finalize) and try again`,
        blockingRelease: needed.version,
        color: r.color,
      };
    }
  }
  return null;
}

/**
 * After a contract migration has run, a release older than the one it ran for may depend on
 * what it removed, so a rollback to it is refused. Names the earliest such migration.
 * Pure; returns null when the rollback is safe as far as the ledger knows.
 */
export function rollbackBlock(ledger: readonly LedgerEntry[], target: { targetVersion: string; releaseOrder: readonly string[] }): RollbackBlock | null {
  const targetRank = rank(target.releaseOrder, target.targetVersion);
  const blocking = ledger.find((e) => {
    if (e.phase !== 'contract') return false;
    const ranAt = rank(target.releaseOrder, e.release);
    if (targetRank < 0 || ranAt < 0) return e.release !== target.targetVersion;
    return targetRank < ranAt;
  });
  if (!blocking) return null;
  const when = blocking.appliedAt ?? blocking.startedAt;
  return {
    migration: blocking.name,
    release: blocking.release,
    // The core prefixes "rollback to <version> refused:" and offers --force.
    message: `contract migration ${blocking.name} ran during release ${blocking.release} (at ${when}) and may have removed schema that ${target.targetVersion} needs`,
  };
}
