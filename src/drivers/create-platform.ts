import type { ResolvedConfig } from '../config/resolved.ts';
import type { PlatformDriver } from '../core/driver.ts';
import type { StateStore } from '../core/store.ts';
import { CutoverError } from '../core/errors.ts';
import { missingPackageError } from '../core/optional-package.ts';

export interface Platform {
  driver: PlatformDriver;
  store: StateStore;
}

/**
 * Builds the configured platform's driver and state store. Kubernetes is loaded only when used.
 * `readOnly` (a command that never changes anything: `status`, `history`) lets the Kubernetes
 * platform answer its reads without loading the generated client, and load it only if needed.
 */
export async function createPlatform(config: ResolvedConfig, options: { readOnly?: boolean } = {}): Promise<Platform> {
  if (config.platform.kind === 'local') {
    const { LocalDriver } = await import('./local/local-driver.ts');
    const { FileStateStore } = await import('./local/file-store.ts');
    return { driver: new LocalDriver(config.platform, config.stateDir, config.configPath), store: new FileStateStore(config.stateDir) };
  }
  const full = () => createKubernetesPlatform(config);
  if (options.readOnly) {
    // This module imports no part of the generated client (only its types), so it needs no
    // missing-package handling: it loads the client only if a call needs more than reads.
    const { createReadOnlyKubernetesPlatform } = await import('./kubernetes/read-only-platform.ts');
    const readOnly = await createReadOnlyKubernetesPlatform(config, full);
    if (readOnly) return readOnly;
  }
  return full();
}

async function createKubernetesPlatform(config: ResolvedConfig): Promise<Platform> {
  let module: { createKubernetesPlatform?: (config: ResolvedConfig) => Promise<Platform> };
  try {
    // Imported only here, so local-only start-ups never load the Kubernetes client. A literal
    // specifier, so the bundler (scripts/build.mjs) gives the platform its own chunk.
    module = await import('./kubernetes/index.ts');
  } catch (err) {
    const missing = missingPackageError(err, '@kubernetes/client-node', 'platform.kind: kubernetes');
    if (missing !== err) throw missing;
    throw new CutoverError('config', 'the kubernetes platform is not available in this build', { cause: err });
  }
  if (!module.createKubernetesPlatform) throw new CutoverError('config', 'the kubernetes platform is not available in this build');
  return module.createKubernetesPlatform(config);
}
