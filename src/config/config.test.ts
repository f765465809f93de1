import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configJsonSchemaText } from './json-schema.ts';
import { parseConfig } from './load.ts';
import { CutoverError } from '../core/errors.ts';
import { DESIGN_KUBERNETES_EXAMPLE as DESIGN_K8S, DESIGN_LOCAL_EXAMPLE as DESIGN_LOCAL } from '../../test/support/design-examples.ts';

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

describe('config: durations, intervals, ports and addresses within what cutover can use', () => {
  const local = (extra: string) => `app: a\nplatform:\n  kind: local\n  command: [node]\n${extra}`;
  const k8s = (extra: string) => `app: a\nplatform:\n  kind: kubernetes\n  namespace: n\n  service: s\n  previewService: p\n  deployment: d.yaml\n  image: i:\${version}\n${extra}`;
  const cases: Array<[string, string, RegExp]> = [
    // Node clamps a timer above 2^31-1 ms to 1 ms: these turned every drain into a 504 and failed every verify at once.
    ['router.drainTimeout past the timer limit', local('router:\n  drainTimeout: 999999h\n'), /router\.drainTimeout: at most 596h \(the longest timer Node can set, about 24\.8 days\), found "999999h"/],
    ['health.timeout past the timer limit', local('health:\n  checks:\n    - tcp: true\n  timeout: 600h\n'), /health\.timeout: at most 596h \(the longest timer Node can set, about 24\.8 days\), found "600h"/],
    ['a check timeout past the timer limit', local('health:\n  checks:\n    - http: /h\n      timeout: 2147484s\n'), /health\.checks\[0\]\.timeout: at most 596h \(the longest timer Node can set/],
    ['platform.stopTimeout past the timer limit', local('  stopTimeout: 1000h\n'), /platform\.stopTimeout: at most 596h \(the longest timer Node can set/],
    ['monitor.duration past the timer limit', local('monitor:\n  duration: 9999h\n'), /monitor\.duration: at most 596h \(the longest timer Node can set/],
    ['a smoke timeout past the timer limit', local('smoke:\n  - run: ./s.sh\n    timeout: 9999h\n'), /smoke\[0\]\.timeout: at most 596h \(the longest timer Node can set/],
    ['migrations.lockTimeout past the timer limit', local('migrations:\n  lockTimeout: 9999h\n'), /migrations\.lockTimeout: at most 596h \(the longest timer Node can set/],
    ['platform.progressDeadline past the timer limit', k8s('  progressDeadline: 9999h\n'), /platform\.progressDeadline: at most 596h \(the longest timer Node can set/],
    ['a webhook timeout past the timer limit', local('notifications:\n  webhooks:\n    - url: http://127.0.0.1:9/x\n      timeout: 9999h\n'), /notifications\.webhooks\[0\]\.timeout: at most 596h \(the longest timer Node can set/],
    // An interval of 0 probes the live app in a tight loop.
    ['monitor.interval of 0', local('monitor:\n  interval: 0s\n'), /monitor\.interval: at least 100ms, found "0s"/],
    ['monitor.interval written as the number 0', local('monitor:\n  interval: 0\n'), /monitor\.interval: expected a duration with a unit such as 500ms, 30s or 5m, found number 0/],
    ['health.interval of 1ms', local('health:\n  checks:\n    - tcp: true\n  interval: 1ms\n'), /health\.interval: at least 100ms, found "1ms"/],
    ['a metric interval of 0', local('analysis:\n  post:\n    - name: m\n      provider: { kind: builtin, metric: error-rate }\n      interval: 0ms\n'), /analysis\.post\[0\]\.interval: at least 100ms, found "0ms"/],
    ['platform.restart.backoff of 0', local('  restart:\n    backoff: 0ms\n'), /platform\.restart\.backoff: at least 10ms, found "0ms"/],
    ['health.timeout of 0', local('health:\n  checks:\n    - tcp: true\n  timeout: 0s\n'), /health\.timeout: at least 1ms, found "0s"/],
    ['a duration that rounds to 0', local('monitor:\n  duration: 0.0001s\n'), /monitor\.duration: at least 1ms/],
    // Ports and addresses: the field, not just the text.
    ['router.listen port above 65535', local('router:\n  listen: 127.0.0.1:70000\n'), /router\.listen: port 70000 is above 65535, found "127\.0\.0\.1:70000"/],
    ['router.preview without a port', local('router:\n  preview: localhost\n'), /router\.preview: expected host:port, e\.g\. 127\.0\.0\.1:8080, found "localhost"/],
    ['router.metrics as a number', local('router:\n  metrics: 9090\n'), /router\.metrics: expected host:port.*found number 9090/],
    ['router.listen with a bad host', local('router:\n  listen: "exa mple:80"\n'), /router\.listen: expected host:port/],
    ['a tcp check port of 0', local('health:\n  checks:\n    - tcp: 0\n'), /health\.checks\[0\]\.tcp/],
    ['platform.port above 65535', k8s('  port: 65536\n'), /platform\.port/],
  ];
  for (const [name, text, expected] of cases) {
    test(`rejects ${name}, naming the field`, () => {
      assert.match(configError(text), expected);
    });
  }

  test('the largest duration Node can time is accepted, and ports 0 and 65535', () => {
    const config = parseConfig(local('router:\n  listen: 127.0.0.1:0\n  preview: "[::1]:65535"\n  drainTimeout: 596h\n'), '/app/cutover.yaml');
    assert.equal(config.router.drainTimeoutMs, 596 * 3_600_000);
    assert.deepEqual(config.router.preview, { host: '::1', port: 65535 });
  });

  test('durations that are not timers may be longer (a Prometheus range of 30 days)', () => {
    const text = local('analysis:\n  pre:\n    - name: m\n      provider: { kind: prometheus, address: http://127.0.0.1:9090, query: up, range: { duration: 720h } }\n      condition: result < 1\n');
    assert.doesNotThrow(() => parseConfig(text, '/app/cutover.yaml'));
  });
});
