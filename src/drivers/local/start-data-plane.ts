import { CutoverError } from '../../core/errors.ts';
import type { DataPlane, DataPlaneOptions } from './data-plane.ts';
import { NodeDataPlane } from './node-data-plane.ts';

/** Starts the engine `options.engine` names (default `node`). */
export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { engine = 'node', haproxyBinary: _binary, workDir: _dir, ...router } = options;
  switch (engine) {
    case 'node':
      return NodeDataPlane.start(router);
    default:
      throw new CutoverError('config', `router.engine: ${String(engine)} is not available yet`);
  }
}
