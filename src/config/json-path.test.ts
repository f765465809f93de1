import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutoverError } from '../core/errors.ts';
import { jsonPathProblem, lookupJsonPath, parseJsonPath } from './json-path.ts';

describe('the JSON path syntax of cutover.yaml', () => {
  test('parses dots, indexes and quoted keys, with or without the $ root', () => {
    assert.deepEqual(parseJsonPath("$.data.series[2]['p 99']"), ['data', 'series', 2, 'p 99']);
    assert.deepEqual(parseJsonPath('data.series[2]["p 99"]'), ['data', 'series', 2, 'p 99']);
    assert.deepEqual(parseJsonPath("checks['it\\'s']"), ['checks', "it's"]);
    assert.deepEqual(parseJsonPath('$[0]'), [0]);
    assert.deepEqual(parseJsonPath(''), []);
    assert.deepEqual(parseJsonPath('$'), []);
  });

  test('every spelling a health check\'s `json` accepted before means the same key path', () => {
    // The old check syntax split on dots and took any other character as part of a key.
    for (const [path, segments] of [
      ['checks', ['checks']],
      ['data.checks', ['data', 'checks']],
      ['my-app:db.status', ['my-app:db', 'status']],
      ['items.0', ['items', '0']],
      ['2xx.checks', ['2xx', 'checks']],
      ['health@v1.checks', ['health@v1', 'checks']],
    ] as const) {
      assert.deepEqual(parseJsonPath(path), segments, path);
    }
    // A dotted key of digits indexes a list, as it did, and still names an object's key.
    assert.deepEqual(lookupJsonPath({ items: [{ ok: true }] }, parseJsonPath('items.0')), { found: { ok: true } });
    assert.deepEqual(lookupJsonPath({ items: { 0: 'up' } }, parseJsonPath('items.0')), { found: 'up' });
  });

  test('looks values up, naming the first segment that is not there', () => {
    assert.deepEqual(lookupJsonPath({ a: [{ b: 7 }] }, parseJsonPath('a[0].b')), { found: 7 });
    assert.deepEqual(lookupJsonPath({ a: [] }, parseJsonPath('a[0].b')), { missing: 'a[0]' });
    assert.deepEqual(lookupJsonPath({ data: {} }, parseJsonPath('data.checks')), { missing: 'data.checks' });
    assert.deepEqual(lookupJsonPath({ a: { length: 1 } }, parseJsonPath('a[0]')), { missing: 'a[0]' }, 'an index needs a list');
    assert.deepEqual(lookupJsonPath({ a: [1] }, parseJsonPath('a.length')), { missing: 'a.length' }, 'a list has no keys');
    assert.deepEqual(lookupJsonPath(5, []), { found: 5 });
  });

  test('refuses what it cannot read, saying where', () => {
    assert.throws(() => parseJsonPath('a..b'), (err: unknown) => err instanceof CutoverError && /does not parse near "\.\.b"/.test(err.message));
    assert.throws(() => parseJsonPath('a[?(@.x)]'), CutoverError);
    assert.throws(() => parseJsonPath('data checks'), CutoverError);
    assert.match(jsonPathProblem('a.') ?? '', /does not parse near "\."/);
    assert.equal(jsonPathProblem('data.checks'), undefined);
  });
});
