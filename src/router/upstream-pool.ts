import { CutoverError } from '../core/errors.ts';
import type { Color } from '../core/types.ts';
import { UpstreamReplica, type ReplicaPoolOptions } from './upstream-replica.ts';

/** One replica as `Router.stats()` reports it. */
export interface ReplicaStats {
  url: string;
  healthy: boolean;
  inFlight: number;
}

/**
 * Turns `http://host:port[/]` into its origin.
 * @throws CutoverError('config') for anything that is not a plain http origin.
 */
export function upstreamOrigin(color: Color, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CutoverError('config', `upstream ${JSON.stringify(raw)} for ${color} is not a URL`, { details: { color, url: raw } });
  }
  if (url.protocol !== 'http:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
    throw new CutoverError('config', `upstream ${raw} for ${color} must be a plain http://host:port address`, { details: { color, url: raw } });
  }
  return url.origin;
}

/**
 * The replicas of one color and how requests are spread over them: least requests in
 * flight, ties broken round-robin. Ejected replicas are used only when no healthy one is
 * left, since a probe may not have noticed yet that one came back.
 */
export class UpstreamPool {
  readonly color: Color;
  #replicas: UpstreamReplica[] = [];
  #next = 0;
  readonly #options: ReplicaPoolOptions;

  constructor(color: Color, options: ReplicaPoolOptions) {
    this.color = color;
    this.#options = options;
  }

  get size(): number {
    return this.#replicas.length;
  }

  get urls(): string[] {
    return this.#replicas.map((r) => r.origin);
  }

  /**
   * Picks the replica for the next attempt, skipping those in `tried`; null when none is left.
   */
  pick(tried: readonly UpstreamReplica[] | null): UpstreamReplica | null {
    const replicas = this.#replicas;
    const n = replicas.length;
    if (n === 0) return null;
    const start = this.#next;
    this.#next = start + 1 >= n ? 0 : start + 1;
    let best: UpstreamReplica | null = null;
    let fallback: UpstreamReplica | null = null;
    for (let k = 0; k < n; k++) {
      const replica = replicas[(start + k) % n]!;
      if (tried !== null && tried.includes(replica)) continue;
      if (replica.healthy) {
        if (best === null || replica.inFlight < best.inFlight) best = replica;
      } else if (fallback === null) {
        fallback = replica;
      }
    }
    return best ?? fallback;
  }

  /**
   * Makes the pool serve exactly `urls`. Replicas whose address stays keep their
   * connections; removed ones finish their requests in flight and are then closed.
   * Idempotent.
   * @throws CutoverError('config') for an address that is not a plain http origin.
   */
  replace(urls: readonly string[]): void {
    const origins = [...new Set(urls.map((u) => upstreamOrigin(this.color, u)))];
    const kept = new Map(this.#replicas.map((r) => [r.origin, r]));
    const next = origins.map((origin) => {
      const existing = kept.get(origin);
      kept.delete(origin);
      return existing ?? new UpstreamReplica(origin, this.#options);
    });
    this.#replicas = next;
    this.#next = 0;
    for (const removed of kept.values()) void removed.close();
  }

  stats(): ReplicaStats[] {
    return this.#replicas.map((r) => ({ url: r.origin, healthy: r.healthy, inFlight: r.inFlight }));
  }

  /** Closes every replica at once. Idempotent. */
  async destroy(): Promise<void> {
    const replicas = this.#replicas;
    this.#replicas = [];
    await Promise.all(replicas.map((r) => r.destroy()));
  }
}
