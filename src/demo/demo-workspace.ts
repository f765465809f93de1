import { mkdtempSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleServerSource, exampleSmokeScript } from './example-app.ts';

/** The demo's config: DESIGN.md's local example with ephemeral ports and a short bake window. */
export const DEMO_CONFIG = `app: demo-shop
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
  replicas: 2
  readyTimeout: 15s
router:
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
  drainTimeout: 5s
health:
  checks:
    - http: /health/live
    - http: /health/ready
      expectStatus: 200
      json: checks
      maxLatency: 2s
  interval: 250ms
  successes: 3
  timeout: 4s
  stableFor: 1s                    # the demo's releases start in milliseconds; the default is 5s
smoke:
  - run: ./scripts/smoke-test.sh
monitor:
  duration: 5s
  interval: 500ms
scaleDown:
  delay: 1s
`;

/**
 * The demo config tuned for many releases in a row (tests and benchmarks): two health rounds
 * 100 ms apart, a 300 ms bake window and no scale-down delay.
 */
export const FAST_CYCLE_CONFIG = DEMO_CONFIG
  .replace('interval: 250ms\n  successes: 3', 'interval: 100ms\n  successes: 2')
  .replace('stableFor: 1s ', 'stableFor: 300ms ')
  .replace('duration: 5s\n  interval: 500ms', 'duration: 300ms\n  interval: 100ms')
  .replace('delay: 1s', 'delay: 0s');

/** A temporary directory holding the example app as v1, v2 and a broken v3, plus the config. */
export function createDemoWorkspace(config: string = DEMO_CONFIG): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-demo-'));
  for (const [version, broken] of [['v1', false], ['v2', false], ['v3', true]] as const) {
    mkdirSync(join(dir, 'releases', version), { recursive: true });
    writeFileSync(join(dir, 'releases', version, 'server.js'), exampleServerSource({ broken }));
  }
  mkdirSync(join(dir, 'scripts'));
  writeFileSync(join(dir, 'scripts', 'smoke-test.sh'), exampleSmokeScript);
  chmodSync(join(dir, 'scripts', 'smoke-test.sh'), 0o755);
  const configPath = join(dir, 'cutover.yaml');
  writeFileSync(configPath, config);
  return { dir, configPath };
}
