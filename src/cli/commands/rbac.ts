import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { CutoverError } from '../../core/errors.ts';
import { rbacManifests } from '../../drivers/kubernetes/rbac-rules.ts';
import type { Globals } from '../context.ts';

/** `cutover rbac`: prints the Role and RoleBinding cutover needs (Kubernetes), for `kubectl apply -f -`. */
export function registerRbac(program: Command, globals: Globals): void {
  program.command('rbac').description('print the least Role and RoleBinding cutover needs on Kubernetes (pipe to kubectl apply -f -)')
    .option('--service-account <name>', 'the ServiceAccount that runs cutover', 'cutover')
    .action((options: { serviceAccount: string }) => {
      const config = loadConfig(globals().config);
      if (config.platform.kind !== 'kubernetes') {
        throw new CutoverError('config', `cutover rbac is for platform.kind: kubernetes; ${config.configPath} uses ${config.platform.kind}`, { details: { path: 'platform.kind' } });
      }
      process.stdout.write(rbacManifests(config.app, config.platform.namespace, options.serviceAccount));
      return 0;
    });
}
