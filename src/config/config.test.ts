import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configJsonSchemaText } from './json-schema.ts';
import { parseConfig } from './load.ts';
import { CutoverError } from '../core/errors.ts';
import { DESIGN_KUBERNETES_EXAMPLE as DESIGN_K8S, DESIGN_LOCAL_EXAMPLE as DESIGN_LOCAL } from './design-examples.ts';

function configError(text: string): string {
  try {
    parseConfig(text, '/app/cutover.yaml');
  } catch (err) {
    assert.ok(err instanceof CutoverError, `expected a CutoverError, got ${String(err)}`);
    assert.equal(err.code, 'config');
    assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('config', () => {
  test('the local example from DESIGN.md validates and resolves to milliseconds and absolute paths', () => {
    const config = parseConfig(DESIGN_LOCAL, '/app/cutover.yaml');
    assert.equal(config.platform.kind, 'local');
    assert.equal(config.platform.kind === 'local' && config.platform.cwd, '/app/releases/${version}');
    assert.equal(config.router.drainTimeoutMs, 30_000);
    assert.deepEqual(config.router.listen, { host: '127.0.0.1', port: 8080 });
    assert.equal(config.monitor.durationMs, 300_000);
    assert.equal(config.scaleDown.delayMs, 30_000);
    assert.equal(config.health.checks.length, 2);
    assert.equal(config.stateDir, '/app/.cutover');
  });

  test('the kubernetes example from DESIGN.md validates', () => {
    const config = parseConfig(DESIGN_K8S, '/app/cutover.yaml');
    assert.equal(config.platform.kind, 'kubernetes');
    assert.equal(config.scaleDown.replicas, 0);
    assert.equal(config.scaleDown.delayMs, 300_000);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['unknown platform kind', 'app: a\nplatform:\n  kind: lokal\n', /platform\.kind: expected one of local, kubernetes, found "lokal"/],
    ['wrong type', 'app: a\nplatform:\n  kind: local\n  command: [node]\n  replicas: two\n', /platform\.replicas: expected a number, found "two"/],
    ['command as a string', 'app: a\nplatform:\n  kind: local\n  command: node server.js\n', /platform\.command: expected a list, found "node server.js"/],
    ['typo in a key', 'app: a\nplatform:\n  kind: local\n  command: [node]\n  replica: 2\n', /platform: unknown key "replica"/],
    ['bad duration', 'app: a\nplatform:\n  kind: local\n  command: [node]\nmonitor:\n  duration: five minutes\n', /monitor\.duration: expected a duration such as 500ms, 30s or 5m, found "five minutes"/],
    ['bad app name', 'app: Shop_API\nplatform:\n  kind: local\n  command: [node]\n', /app: expected lower-case letters.*found "Shop_API"/],
    ['missing app', 'platform:\n  kind: local\n  command: [node]\n', /app: required/],
    ['health path without slash', 'app: a\nplatform:\n  kind: local\n  command: [node]\nhealth:\n  checks:\n    - http: health\n', /health\.checks\[0\]\.http: expected a path starting with \//],
    ['scaleDown replicas 2', 'app: a\nplatform:\n  kind: local\n  command: [node]\nscaleDown:\n  replicas: 2\n', /scaleDown\.replicas/],
    ['same listen and preview', 'app: a\nplatform:\n  kind: local\n  command: [node]\nrouter:\n  listen: 127.0.0.1:9000\n  preview: 127.0.0.1:9000\n', /router\.preview must differ from router\.listen/],
    ['invalid YAML', 'app: a\nplatform: [\n', /not valid YAML:\n\s+line \d+, column \d+/],
  ];
  for (const [name, text, expected] of cases) {
    test(`rejects ${name} with a readable message naming the field`, () => {
      assert.match(configError(text), expected);
    });
  }

  test('schema/cutover.schema.json is up to date with the zod schema (run `npm run schema`)', () => {
    const committed = readFileSync(new URL('../../schema/cutover.schema.json', import.meta.url), 'utf8');
    assert.equal(committed, configJsonSchemaText());
  });
});
