import { COLORS, type Color } from '../../core/types.ts';
import type { MaintenanceState } from '../../router/maintenance-page.ts';
import type { RouterCounters } from '../../router/router-counters.ts';
import { Router, type RetireReport, type RouterOptions, type SplitConfig, type SwitchReport } from '../../router/router.ts';
import type { ColorTraffic, DataPlane, DataPlaneState } from './data-plane.ts';

/**
 * The `node` engine: cutover's own router in the daemon's process. A thin wrapper: every
 * call is the Router's synchronous one, so a change is enforced before the promise exists.
 */
export class NodeDataPlane implements DataPlane {
  readonly engine = 'node' as const;
  readonly router: Router;

  private constructor(router: Router) {
    this.router = router;
  }

  static async start(options: RouterOptions): Promise<NodeDataPlane> {
    return new NodeDataPlane(await Router.start(options));
  }

  get address(): Router['address'] {
    return this.router.address;
  }

  get probeToken(): string {
    return this.router.probeToken;
  }

  get live(): Color | null {
    return this.router.live;
  }

  get preview(): Color | null {
    return this.router.preview;
  }

  async setUpstreams(color: Color, urls: string[]): Promise<void> {
    this.router.setUpstreams(color, urls);
  }

  async switchTo(color: Color): Promise<SwitchReport & { acceptedBefore: number }> {
    const old = this.router.live;
    // Read and swap in one synchronous stretch: no request can be accepted in between.
    const acceptedBefore = old === null ? 0 : this.#acceptedOnMain(old);
    return { ...this.router.switchTo(color), acceptedBefore };
  }

  startAccepting(): Promise<void> {
    return this.router.startAccepting();
  }

  drained(color: Color): Promise<void> {
    return this.router.drained(color);
  }

  retire(): Promise<RetireReport> {
    return this.router.retire();
  }

  async setPreview(color: Color | null): Promise<void> {
    this.router.setPreview(color);
  }

  async setMaintenance(state: MaintenanceState): Promise<void> {
    this.router.setMaintenance(state);
  }

  async pause(): Promise<void> {
    this.router.pause();
  }

  async unpause(): Promise<void> {
    this.router.unpause();
  }

  validateSplit(split: SplitConfig): void {
    this.router.validateSplit(split);
  }

  async setSplit(split: SplitConfig): Promise<void> {
    this.router.setSplit(split);
  }

  async clearSplit(): Promise<void> {
    this.router.clearSplit();
  }

  stats(): DataPlaneState {
    const { live, preview, maintenance, paused, split } = this.router.stats();
    return { live, preview, maintenance, paused, split };
  }

  async traffic(): Promise<Record<Color, ColorTraffic>> {
    const stats = this.router.stats();
    const out = {} as Record<Color, ColorTraffic>;
    for (const color of COLORS) {
      const c = stats.colors[color];
      out[color] = { main: c.main, preview: c.preview, websockets: c.websockets };
    }
    return out;
  }

  metricsText(): Promise<string> {
    return this.router.metricsText();
  }

  async counters(): Promise<RouterCounters> {
    return this.router.counters();
  }

  close(): Promise<void> {
    return this.router.close();
  }

  #acceptedOnMain(color: Color): number {
    const main = this.router.stats().colors[color].main;
    return main.requests + main.inFlight;
  }
}
