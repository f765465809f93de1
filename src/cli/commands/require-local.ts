import type { ResolvedConfig } from '../../config/resolved.ts';
import { CutoverError } from '../../core/errors.ts';

/** `up` and `down` drive the local daemon: refused, as a usage error, for a Kubernetes config. */
export function requireLocal(config: ResolvedConfig): void {
  if (config.platform.kind !== 'local') throw new CutoverError('usage', '`cutover up` and `down` run the local platform; this config uses kubernetes');
}
