import { CutoverError } from '../../core/errors.ts';
import type { DataPlane, DataPlaneOptions } from './data-plane.ts';
import { NodeDataPlane } from './node-data-plane.ts';
import { HaproxyDataPlane } from '../../router/haproxy/haproxy-data-plane.ts';

/** Starts the engine `options.engine` names (default `node`). */
export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { engine = 'node', haproxyBinary: _binary, workDir: _dir, ...router } = options;
  switch (engine) {
    case 'node':
      return NodeDataPlane.start(router);
    case 'haproxy':
      return HaproxyDataPlane.start(options);
    default:
      throw new CutoverError('config', `router.engine: unknown engine ${JSON.stringify(engine satisfies never)}`);
  }
}
