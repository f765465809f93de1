import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateJsonChecks } from './json-checks.ts';

describe('JSON sub-checks', () => {
  test('a list with every entry healthy passes, whatever word the app uses', () => {
    const verdict = evaluateJsonChecks({
      checks: [
        { name: 'database', status: 'healthy' },
        { name: 'redis', status: 'OK' },
        { component: 'queue', state: 'up' },
        { id: 'api', healthy: true },
        { name: 'disk', status: 'pass' },
      ],
    }, 'checks');
    assert.deepEqual(verdict, { ok: true, entries: 5, problems: [] });
  });

  test('an unhealthy entry is named by index and name, with its message', () => {
    const verdict = evaluateJsonChecks({
      checks: [
        { name: 'redis', status: 'ok' },
        { name: 'database', status: 'degraded', message: 'pool exhausted' },
        { name: 'payments', healthy: false },
      ],
    }, 'checks');
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.problems, [
      'checks[1] (database) reported "degraded": pool exhausted',
      'checks[2] (payments) reported healthy: false',
    ]);
  });

  test('an object map and a dotted path', () => {
    const verdict = evaluateJsonChecks({
      data: { checks: { db: { status: 'UP' }, cache: 'ok', queue: true, search: { status: 'warn' } } },
    }, 'data.checks');
    assert.deepEqual(verdict.problems, ['data.checks.search reported "warn"']);
    assert.equal(verdict.entries, 4);
  });

  test('a single check object, and an entry whose status is nested', () => {
    assert.equal(evaluateJsonChecks({ health: { status: 'pass' } }, 'health').ok, true);
    assert.equal(evaluateJsonChecks({ checks: [{ name: 'db', health: { status: 'ok' } }] }, 'checks').ok, true);
    assert.deepEqual(evaluateJsonChecks({ health: { healthy: false } }, 'health').problems, ['health reported healthy: false']);
  });

  test('anything not clearly healthy is unhealthy', () => {
    const verdict = evaluateJsonChecks({ checks: [{ name: 'db' }, null, 1, 'unknown', { name: 'x', status: 200 }] }, 'checks');
    assert.deepEqual(verdict.problems, [
      'checks[0] (db) has no status',
      'checks[1] reported null',
      'checks[2] reported 1',
      'checks[3] reported "unknown"',
      'checks[4] (x) reported status: 200',
    ]);
  });

  test('a missing or mistyped path is a problem, not a pass', () => {
    assert.deepEqual(evaluateJsonChecks({ status: 'ok' }, 'checks').problems, ['body has no "checks"']);
    assert.deepEqual(evaluateJsonChecks({ data: {} }, 'data.checks').problems, ['body has no "data.checks"']);
    assert.deepEqual(evaluateJsonChecks({ checks: 'ok' }, 'checks').problems, ['"checks" is string, expected a list or map of checks']);
    assert.equal(evaluateJsonChecks([1], 'checks').ok, false);
    assert.equal(evaluateJsonChecks(null, 'checks').ok, false);
  });
});
