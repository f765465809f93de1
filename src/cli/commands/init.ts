import { existsSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import type { Command } from 'commander';
import { CutoverError } from '../../core/errors.ts';
import { exampleServerSource, exampleSmokeScript } from '../../demo/example-app.ts';
import { kubernetesStarterFiles } from '../../drivers/kubernetes/starter-files.ts';
import type { Globals } from '../context.ts';

/** The commented starting config `cutover init` writes: DESIGN.md's local example, explained. */
export const INIT_CONFIG = `# cutover.yaml: one service, released blue/green on this machine.
# Reference: schema/cutover.schema.json (editors with YAML support validate against it).
app: shop-api

platform:
  kind: local                       # processes behind cutover's own router
  command: ["node", "server.js"]    # argv, no shell; each replica gets PORT, CUTOVER_COLOR,
                                    # CUTOVER_VERSION and FEATURE_FLAGS_JSON
  cwd: releases/\${version}          # each version lives in its own directory
  replicas: 2                       # processes per color; the router balances across them

router:
  listen: 127.0.0.1:8080            # live traffic always reaches the live color
  preview: 127.0.0.1:8081           # the idle color, for checks and people
  drainTimeout: 30s                 # in-flight requests on the old color may finish, then 504

health:                             # must pass before traffic moves, and during the bake
  checks:
    - http: /health/live
    - http: /health/ready
      expectStatus: 200
      json: checks                  # every entry of body.checks must report healthy
      maxLatency: 2s                # the runbooks' "response time < 2 s"
  interval: 1s
  successes: 3                      # consecutive healthy rounds on every replica
  timeout: 60s

smoke:
  - run: ./scripts/smoke-test.sh    # gets CUTOVER_TARGET_URL (the preview address)

monitor:
  duration: 5m                      # bake window after the switch; a breach rolls back

scaleDown:
  delay: 30s                        # then the old color is stopped
`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface InitOptions {
  force?: boolean;
  example: boolean;
  platform: string;
  app?: string;
  namespace: string;
  image?: string;
}

export function registerInit(program: Command, globals: Globals): void {
  program.command('init').description('write a commented cutover.yaml (and an example app, or Kubernetes manifests)')
    .option('--platform <kind>', 'local (processes behind cutover\'s router) or kubernetes (config, Deployment template, Service)', 'local')
    .option('--app <name>', 'kubernetes: the app name, also the Service name (default: shop-api)')
    .option('--namespace <ns>', 'kubernetes: the namespace', 'default')
    .option('--image <ref>', 'kubernetes: the release image, with ${version} (default: registry.example/<app>:${version})')
    .option('--force', 'overwrite existing files')
    .option('--no-example', 'do not write the example app under releases/')
    .action((options: InitOptions) => {
      const path = resolve(globals().config);
      if (options.platform === 'kubernetes') return initKubernetes(path, options);
      if (options.platform !== 'local') throw new CutoverError('usage', `--platform: expected local or kubernetes, got "${options.platform}"`);
      if (existsSync(path) && !options.force) throw new CutoverError('usage', `${path} already exists; pass --force to overwrite it`);
      writeFileSync(path, INIT_CONFIG);
      const dir = dirname(path);
      const written = [path];
      if (options.example) {
        for (const version of ['v1', 'v2']) {
          const file = join(dir, 'releases', version, 'server.js');
          if (existsSync(file)) continue;
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, exampleServerSource());
          written.push(file);
        }
        const smoke = join(dir, 'scripts', 'smoke-test.sh');
        if (!existsSync(smoke)) {
          mkdirSync(dirname(smoke), { recursive: true });
          writeFileSync(smoke, exampleSmokeScript);
          chmodSync(smoke, 0o755);
          written.push(smoke);
        }
      }
      process.stderr.write(`wrote ${written.join('\n      ')}\nnext: cutover up && cutover deploy v1 && cutover deploy v2\n`);
      return 0;
    });
}

/** Writes cutover.yaml, k8s/deployment.yaml and k8s/service.yaml; refuses before writing anything if one exists. */
function initKubernetes(configPath: string, options: InitOptions): number {
  const app = options.app ?? 'shop-api';
  if (!DNS_LABEL.test(app) || app.length > 50) throw new CutoverError('usage', `--app: expected a DNS label of at most 50 characters (lower-case letters, digits, "-"), got "${app}"`);
  if (!DNS_LABEL.test(options.namespace) || options.namespace.length > 63) throw new CutoverError('usage', `--namespace: expected a DNS label, got "${options.namespace}"`);
  const image = options.image ?? `registry.example/${app}:\${version}`;
  if (!image.includes('${version}')) throw new CutoverError('usage', `--image: expected an image reference containing \${version}, e.g. registry.example/${app}:\${version}; got "${image}"`);
  const dir = dirname(configPath);
  const files = kubernetesStarterFiles({ app, namespace: options.namespace, image }).map((f) => ({
    path: f.path === 'cutover.yaml' ? configPath : join(dir, f.path),
    text: f.text,
  }));
  const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
  if (existing.length > 0 && !options.force) {
    throw new CutoverError('usage', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written (pass --force to overwrite)`);
  }
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  process.stderr.write(`wrote ${files.map((f) => f.path).join('\n      ')}\n`
    + `next: kubectl apply -f ${join(dir, 'k8s', 'service.yaml')} && cutover doctor && cutover deploy v1\n`);
  return 0;
}
