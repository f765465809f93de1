import type { DashboardApp } from './dashboard-app.ts';

/**
 * The apps one dashboard can see: the apps of one daemon's host, or the cutover ConfigMaps of
 * a namespace. `list` is called often and must be cheap; it returns the same objects for the
 * same apps, so their chart history survives.
 */
export interface AppCatalog {
  list(): Promise<DashboardApp[]>;
  close(): Promise<void>;
}

/** A catalog that adds apps as `discover` names them and closes those that disappear. */
export class CachedCatalog implements AppCatalog {
  private readonly apps = new Map<string, DashboardApp>();
  private readonly discover: () => Promise<Array<{ key: string; open: () => Promise<DashboardApp> }>>;
  private readonly pinned: DashboardApp[];
  private listing: Promise<DashboardApp[]> | null = null;

  /** `pinned` apps are always listed first (the app whose config started the dashboard). */
  constructor(pinned: DashboardApp[], discover: () => Promise<Array<{ key: string; open: () => Promise<DashboardApp> }>>) {
    this.pinned = pinned;
    this.discover = discover;
  }

  list(): Promise<DashboardApp[]> {
    // Concurrent callers share one discovery, so an app is never opened twice.
    this.listing ??= this.refresh().finally(() => { this.listing = null; });
    return this.listing;
  }

  private async refresh(): Promise<DashboardApp[]> {
    const found = await this.discover().catch(() => []);
    const pinnedNames = new Set(this.pinned.map((a) => a.name));
    const seen = new Set<string>();
    for (const { key, open } of found) {
      seen.add(key);
      if (this.apps.has(key)) continue;
      try {
        const app = await open();
        if (pinnedNames.has(app.name)) await app.close();
        else this.apps.set(key, app);
      } catch {
        // An app whose config no longer loads is left out of the list until it does.
      }
    }
    for (const [key, app] of this.apps) {
      if (!seen.has(key)) {
        this.apps.delete(key);
        await app.close().catch(() => {});
      }
    }
    return [...this.pinned, ...[...this.apps.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  async close(): Promise<void> {
    for (const app of [...this.pinned, ...this.apps.values()]) await app.close().catch(() => {});
    this.apps.clear();
  }
}
