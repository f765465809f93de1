import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { z } from 'zod';
import { healthSchema, normalizeHealth, normalizeSmoke, smokeSchema } from './config-schema.ts';

const DESIGN_EXAMPLE = `
health:
  checks:
    - http: /health/live
    - http: /health/ready
      expectStatus: 200
      json: checks
      maxLatency: 2s
    - tcp: true          # or a port number
    - command: ["./bin/check-db"]
  interval: 1s
  successes: 3
  timeout: 60s
smoke:
  - run: ./scripts/smoke-test.sh
    timeout: 2m          # optional
`;

function issuesOf(result: { success: boolean; error?: z.ZodError }) {
  assert.equal(result.success, false, 'expected the input to be rejected');
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('health and smoke config', () => {
  test('the DESIGN example validates and normalizes to milliseconds with paths resolved', () => {
    const doc = parse(DESIGN_EXAMPLE);
    const health = normalizeHealth(healthSchema.parse(doc.health), { baseDir: '/srv/shop' });
    assert.equal(health.intervalMs, 1_000);
    assert.equal(health.successes, 3);
    assert.equal(health.timeoutMs, 60_000);
    assert.deepEqual(health.checks.map((check) => check.name), [
      'GET /health/live', 'GET /health/ready', 'TCP connect', 'command ./bin/check-db',
    ]);
    const ready = health.checks[1];
    assert.ok(ready.kind === 'http');
    assert.equal(ready.expectStatus, 200);
    assert.equal(ready.json, 'checks');
    assert.equal(ready.maxLatencyMs, 2_000);
    const live = health.checks[0];
    assert.ok(live.kind === 'http');
    assert.equal(live.expectStatus, null, 'no expectStatus means any 2xx');
    const command = health.checks[3];
    assert.ok(command.kind === 'command');
    assert.deepEqual(command.argv, ['/srv/shop/bin/check-db']);
    assert.equal(command.cwd, '/srv/shop');

    const smoke = normalizeSmoke(smokeSchema.parse(doc.smoke), { baseDir: '/srv/shop' });
    assert.deepEqual(smoke, [{
      command: './scripts/smoke-test.sh', shell: true, argv: [], cwd: '/srv/shop', timeoutMs: 120_000,
    }]);
    assert.throws(() => { (smoke[0] as { timeoutMs: number }).timeoutMs = 1; }, TypeError, 'specs are frozen');
  });

  test('the kubernetes example (one http check, nothing else) gets defaults', () => {
    const health = normalizeHealth(healthSchema.parse({ checks: [{ http: '/health/ready' }] }), { baseDir: '/x' });
    assert.equal(health.successes, 3);
    assert.equal(health.intervalMs, 1_000);
    const [check] = health.checks;
    assert.ok(check.kind === 'http');
    assert.equal(check.maxLatencyMs, 2_000, 'the runbooks\' 2 s limit is the default');
    assert.equal(check.timeoutMs, 5_000);
  });

  test('no health section means one TCP check per replica', () => {
    const health = normalizeHealth(undefined, { baseDir: '/x' });
    assert.deepEqual(health.checks.map((check) => check.kind), ['tcp']);
  });

  test('argv smoke commands resolve relative programs but leave PATH names and ${version} alone', () => {
    const smoke = normalizeSmoke(smokeSchema.parse([
      { run: ['./bin/smoke', '--version', '${version}'] },
      { run: ['npm', 'test'] },
    ]), { baseDir: '/srv/app' });
    assert.deepEqual(smoke.map((spec) => spec.argv), [
      ['/srv/app/bin/smoke', '--version', '${version}'],
      ['npm', 'test'],
    ]);
    assert.equal(smoke[0].shell, false);
  });

  test('a typo is rejected with its field path', () => {
    const issues = issuesOf(healthSchema.safeParse({
      checks: [{ http: '/health/live' }, { http: '/health/ready', expectStatuss: 200 }],
    }));
    assert.equal(issues.length, 1);
    assert.equal(issues[0].path, 'checks.1');
    assert.match(issues[0].message, /expectStatuss/);

    const top = issuesOf(healthSchema.safeParse({ checks: [{ tcp: true }], intervall: '1s' }));
    assert.match(top[0].message, /intervall/);
  });

  test('wrong values are reported at their own path', () => {
    const issues = issuesOf(healthSchema.safeParse({
      checks: [{ http: 'health/ready' }, { http: '/x', maxLatency: '2 seconds' }, { tcp: 70000 }],
      timeout: 60,
    }));
    const paths = issues.map((issue) => issue.path).sort();
    assert.deepEqual(paths, ['checks.0.http', 'checks.1.maxLatency', 'checks.2.tcp', 'timeout']);
    assert.match(issues.find((issue) => issue.path === 'checks.0.http')!.message, /starting with \//);
  });

  test('a check must be exactly one kind, and http-only keys need http', () => {
    const none = issuesOf(healthSchema.safeParse({ checks: [{ expectStatus: 200 }] }));
    assert.match(none[0].message, /one of http, tcp or command/);
    const both = issuesOf(healthSchema.safeParse({ checks: [{ http: '/x', tcp: true }] }));
    assert.match(both[0].message, /found http and tcp/);
    const stray = issuesOf(healthSchema.safeParse({ checks: [{ tcp: true, expectStatus: 200 }] }));
    assert.equal(stray[0].path, 'checks.0.expectStatus');
    const head = issuesOf(healthSchema.safeParse({ checks: [{ http: '/x', method: 'HEAD', json: 'checks' }] }));
    assert.equal(head[0].path, 'checks.0.json');
  });

  test('a json path is refused at its field when it does not parse, and accepted in either spelling', () => {
    const broken = issuesOf(healthSchema.safeParse({ checks: [{ http: '/x', json: 'data..checks' }] }));
    assert.equal(broken[0].path, 'checks.0.json');
    assert.match(broken[0].message, /does not parse near "\.\.checks"/);
    assert.equal(issuesOf(healthSchema.safeParse({ checks: [{ http: '/x', json: '' }] }))[0].path, 'checks.0.json');
    for (const json of ['data.checks', 'items.0', "data['checks']", '$.checks']) {
      assert.equal(healthSchema.safeParse({ checks: [{ http: '/x', json }] }).success, true, json);
    }
  });

  test('smoke entries are strict too', () => {
    const issues = issuesOf(smokeSchema.safeParse([{ run: './a.sh' }, { command: './b.sh' }]));
    const stray = issues.find((issue) => issue.path === '1');
    assert.match(stray?.message ?? '', /command/);
    assert.ok(issues.some((issue) => issue.path === '1.run'), 'the missing run key is named too');
    assert.equal(issuesOf(smokeSchema.safeParse([{ run: [] }]))[0].path, '0.run');
  });

  test('JSON Schema generation works and carries descriptions', () => {
    const schema = z.toJSONSchema(z.object({ health: healthSchema, smoke: smokeSchema }), { io: 'input' }) as unknown as {
      properties: { health: { properties: { checks: { items: { properties: Record<string, { description?: string }>; oneOf?: unknown[] } } } } };
    };
    const item = schema.properties.health.properties.checks.items;
    assert.match(item.properties.json.description ?? '', /every entry must report healthy/);
    assert.equal(item.oneOf?.length, 3);
  });
});
