// The state record and history lines as every reader gets them back (the local file store and
// the ConfigMap): defaults filled in, unknown keys kept, and a damaged record named by its first
// bad field, never a crash.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCutoverError } from './errors.ts';
import { parseAppState, parseHistoryLine } from './state-schema.ts';
import { emptyState } from './types.ts';

const parse = (value: unknown) => parseAppState(JSON.stringify(value), 'the record', 'Fix it.');

function problemOf(value: unknown): string {
  try {
    parse(value);
  } catch (err) {
    assert.ok(isCutoverError(err) && err.code === 'damaged', String(err));
    assert.match(err.message, /^the record is damaged: .*\. cutover changed nothing\. Fix it\.$/);
    return (err.details.problems as string[])[0]!;
  }
  assert.fail('the record was accepted');
}

const minimal = {
  schemaVersion: 1, app: 'shop', live: null, operation: null,
  colors: { blue: { version: null, state: 'empty', since: 't' }, green: { version: null, state: 'empty', since: 't' } },
};

describe('parseAppState', () => {
  test('a record of an older cutover, without the later fields, gets their defaults', () => {
    assert.deepEqual(parse(minimal), {
      ...minimal, maintenance: { on: false }, flags: { blue: {}, green: {} }, releases: [], lastOutcome: null, updatedAt: new Date(0).toISOString(),
    });
  });

  test('a full record reads back as it was written, with the keys a newer cutover added', () => {
    const state = {
      ...emptyState('shop'), live: 'green', futureField: { x: [1] },
      colors: { blue: { version: 'v1', state: 'retired', since: 't', deployedSeq: 1 }, green: { version: 'v2', state: 'live', since: 't', note: 'kept' } },
      operation: {
        id: 'op1', kind: 'deploy', version: 'v3', target: 'blue', from: 'green', phase: 'verify', startedAt: 't',
        phases: [{ name: 'preflight', status: 'succeeded', startedAt: 't', durationMs: 3, detail: 'ok', data: { checks: [null] } }],
        holder: { pid: 7, host: 'h', command: 'deploy v3', since: 't', startTime: null }, options: { yes: true, flagsFrom: 'live' },
      },
      lastOutcome: { operationId: 'op0', kind: 'rollback', outcome: 'stranded', at: 't', message: 'why' },
    };
    assert.deepEqual(parse(state), state);
  });

  test('a damaged record names its first bad field, as config errors do', () => {
    const cases: Array<[unknown, string]> = [
      [[], '(top level): expected a mapping, found a list of 0'],
      [{ ...minimal, schemaVersion: 2 }, 'schemaVersion: expected 1, found number 2'],
      [{ ...minimal, app: undefined }, 'app: required (expected a string)'],
      [{ ...minimal, live: 'purple' }, 'live: expected one of "blue", "green", found "purple"'],
      [{ ...minimal, colors: { ...minimal.colors, red: {} } }, 'colors: unknown key "red"'],
      [{ ...minimal, colors: { ...minimal.colors, green: { version: null, state: 'empty', since: 't', deployedSeq: 1.5 } } }, 'colors.green.deployedSeq: expected an integer, found number 1.5'],
      [{ ...minimal, operation: { id: '' } }, 'operation.id: expected a non-empty string, found ""'],
      [{ ...minimal, releases: ['v1', 2] }, 'releases[1]: expected a string, found number 2'],
      [{ ...minimal, flags: { blue: [], green: {} } }, 'flags.blue: expected a mapping, found a list of 0'],
      [{ ...minimal, live: 'blue' }, 'live: blue is recorded as live but has no version'],
    ];
    for (const [value, problem] of cases) assert.equal(problemOf(value), problem);
  });

  test('text that is not a record says so', () => {
    for (const [text, problem] of [['', /it is empty/], ['{"schemaVersion": 1, "app"', /it is not valid JSON/]] as const) {
      assert.throws(() => parseAppState(text, 'the record', 'Fix it.'), (err) => isCutoverError(err) && err.code === 'damaged' && problem.test(err.message));
    }
  });
});

describe('parseHistoryLine', () => {
  test('a line reads back, or says why it cannot', () => {
    const entry = { at: 't', operationId: 'op1', kind: 'deploy', event: 'finished', outcome: 'promoted', live: { color: 'blue', version: 'v1' } };
    assert.deepEqual(parseHistoryLine(JSON.stringify(entry)), { entry });
    assert.deepEqual(parseHistoryLine(JSON.stringify({ ...entry, event: 'exploded' })), { problem: 'event: expected one of "started", "phase", "finished", found "exploded"' });
    assert.deepEqual(parseHistoryLine('{"at": "t", "oper'), { problem: 'not valid JSON (torn or overwritten)' });
  });
});
