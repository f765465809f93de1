import type { CoreDeps } from '../../src/core/deps.ts';
import { MemoryStateStore } from './memory-store.ts';
import { PodEventDriver, passingVerifier } from './pod-event-driver.ts';

const quiet = { phaseStarted() {}, progress() {}, phaseFinished() {}, info() {}, warn() {} };

/**
 * Core dependencies over a platform and a store in memory: two replicas per color, checks that
 * pass, an automatic gate and a 300 ms bake window. For the engine's unit tests.
 */
export function memoryPlatform(overrides: Partial<CoreDeps> = {}): { driver: PodEventDriver; store: MemoryStateStore; deps: CoreDeps } {
  const driver = new PodEventDriver(2);
  const store = new MemoryStateStore();
  const deps: CoreDeps = {
    driver,
    store,
    verifier: passingVerifier,
    gate: { interactive: false, confirm: async () => true },
    reporter: quiet,
    settings: {
      app: 'engine', provisionTimeoutMs: 1_000, gate: 'auto', requireHealthyLive: true,
      monitor: { durationMs: 300, intervalMs: 100, failureThreshold: 3 },
      scaleDown: { delayMs: 0, replicas: 0 },
    },
    holder: { pid: process.pid, host: 'test', command: 'test' },
    ...overrides,
  };
  return { driver, store, deps };
}
