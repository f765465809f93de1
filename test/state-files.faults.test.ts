// Torn and corrupt state, lock and history files under `.cutover/`, against the real CLI, a real
// daemon and real release processes. Whatever is damaged, cutover must say which file and what
// to do, never exit 70 or print a stack trace, and never send traffic to an unverified color.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain } from './support/cli-runner.ts';
import { sample, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

function noStackTrace(r: CliResult): void {
  assert.notEqual(r.code, 70, `exit 70 means a bug in cutover: ${explain(r)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `a stack trace was printed: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|Cannot read properties/, r.stderr);
}

describe('damaged files under .cutover/', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  let stateDir: string;
  before(async () => {
    ws = ScenarioWorkspace.create();
    stateDir = join(ws.dir, '.cutover');
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  for (const [what, content] of [['empty (a full disk)', ''], ['torn', '{"pid":4242,"host":"'], ['garbage', '\u0000\u0000\u0000']] as const) {
    test(`a lock file that is ${what}: status and doctor report it, and the next command recovers it`, async () => {
      writeFileSync(join(stateDir, 'lock'), content);
      const status = await ws.cli(['status']);
      noStackTrace(status);
      assert.ok(status.json.warnings.some((w: string) => /lock is damaged/.test(w)), `status warnings: ${JSON.stringify(status.json.warnings)}`);
      const doctor = await ws.cli(['doctor']);
      noStackTrace(doctor);
      const finding = doctor.json.findings.find((f: { check: string }) => f.check === 'lock');
      assert.equal(finding?.verdict, 'problem', JSON.stringify(doctor.json.findings));
      assert.match(finding.detail, /lock is damaged/);
      // An operation takes the lock as if it were free (exit 0, not "held by unknown, pid 0", exit 3).
      const flags = await ws.cli(['flags', 'set', 'probe=1']);
      assert.equal(flags.code, 0, explain(flags));
      assert.equal(existsSync(join(stateDir, 'lock')), false, 'the lock was released afterwards');
    });
  }

  test('doctor --fix removes a damaged lock', async () => {
    writeFileSync(join(stateDir, 'lock'), '');
    const doctor = await ws.cli(['doctor', '--fix']);
    noStackTrace(doctor);
    const finding = doctor.json.findings.find((f: { check: string }) => f.check === 'lock');
    assert.equal(finding?.verdict, 'ok', JSON.stringify(doctor.json.findings));
    assert.match(finding.detail, /fixed/);
    assert.equal(existsSync(join(stateDir, 'lock')), false);
  });

  test('a lock left by a dead process whose pid is now someone else\'s is recovered', async () => {
    // pid 1 is alive, but it started long before this "holder" did: not the same process.
    writeFileSync(join(stateDir, 'lock'), JSON.stringify({ pid: 1, startTime: '999999999', host: (await import('node:os')).hostname(), command: 'deploy v9', since: '2026-01-01T00:00:00.000Z' }));
    const r = await ws.cli(['flags', 'unset', 'probe']);
    assert.equal(r.code, 0, explain(r));
  });

  const shapes: Array<[string, string, RegExp]> = [
    ['a list', '[]', /state\.json is damaged: .*expected a mapping/],
    ['an unknown color', JSON.stringify({ ...JSON.parse('{}'), schemaVersion: 1, app: 'scenario-shop', live: 'purple', colors: {}, operation: null }), /state\.json is damaged: live: expected one of "blue", "green", found "purple"/],
    ['wrong types', '{"schemaVersion":1,"app":"scenario-shop","live":null,"colors":{"blue":3,"green":"x"},"operation":7}', /state\.json is damaged: colors\.blue: expected a mapping, found number 3/],
    ['torn JSON', '{"schemaVersion":1,"app":"scen', /state\.json is damaged: it is not valid JSON/],
  ];
  for (const [what, text, message] of shapes) {
    test(`state.json holding ${what}: a clear message naming the file and the way out, exit 1, and live traffic untouched`, async () => {
      const good = ws.readState();
      writeFileSync(join(stateDir, 'state.json'), text);
      try {
        for (const args of [['status'], ['deploy', 'v2'], ['rollback'], ['history']]) {
          const r = await ws.cli(args);
          noStackTrace(r);
          if (args[0] === 'history') {
            assert.equal(r.code, 0, `history does not need the state record: ${explain(r)}`);
            continue;
          }
          assert.equal(r.code, 1, `${args.join(' ')}: ${explain(r)}`);
          assert.match(r.stderr, message);
          assert.ok(r.stderr.includes(join(stateDir, 'state.json')), r.stderr);
          assert.match(r.stderr, /cutover doctor --fix/);
          assert.equal(r.json?.error?.code, 'damaged', r.stdout);
        }
        assert.deepEqual(await sample(main, 5), ['200 v1']);
      } finally {
        writeFileSync(join(stateDir, 'state.json'), JSON.stringify(good));
      }
    });
  }

  test('doctor --fix sets a damaged state.json aside and rebuilds the record from the daemon', async () => {
    writeFileSync(join(stateDir, 'state.json'), '[]');
    const doctor = await ws.cli(['doctor', '--fix']);
    noStackTrace(doctor);
    const checks = Object.fromEntries(doctor.json.findings.map((f: { check: string; detail: string }) => [f.check, f.detail]));
    assert.match(checks['state record'], /moved to .*state\.json\.damaged-/, JSON.stringify(doctor.json.findings));
    assert.match(checks['record vs reality'], /fixed: rebuilt the record/, JSON.stringify(doctor.json.findings));
    assert.ok(readdirSync(stateDir).some((f) => f.startsWith('state.json.damaged-')), 'the damaged record is kept for a person to look at');
    const status = await ws.cli(['status']);
    assert.equal(status.code, 0, explain(status));
    assert.deepEqual(status.json.live, { color: 'blue', version: 'v1' });
    assert.deepEqual(status.json.warnings, []);
  });

  test('a torn or foreign history line is skipped with a warning; the rest is shown', async () => {
    appendFileSync(join(stateDir, 'history.jsonl'), '{"at":"2026-12-01T00:00:00Z","operationId":"x","ki\n["not","an","entry"]\n');
    const r = await ws.cli(['history']);
    noStackTrace(r);
    assert.equal(r.code, 0, explain(r));
    assert.ok(Array.isArray(r.json) && r.json.some((e: { kind: string; version?: string }) => e.kind === 'deploy' && e.version === 'v1'), r.stdout);
    const warnings = r.stderr.split('\n').filter((l) => /history\.jsonl:\d+: skipped/.test(l));
    assert.equal(warnings.length, 2, r.stderr);
    // The next operation appends after the bad lines and is read back.
    const flags = await ws.cli(['flags', 'set', 'after=1']);
    assert.equal(flags.code, 0, explain(flags));
    const again = await ws.cli(['history']);
    assert.ok(again.json.some((e: { message?: string }) => /after/.test(e.message ?? '')), again.stdout);
  });

  test('a deleted state.json while the daemon serves blue: status says so, deploy refuses, resume rebuilds the record', async () => {
    rmSync(join(stateDir, 'state.json'));
    const status = await ws.cli(['status']);
    noStackTrace(status);
    const warning = status.json.warnings.find((w: string) => w.startsWith('record and reality disagree'));
    assert.ok(warning, `status warnings: ${JSON.stringify(status.json.warnings)}`);
    assert.match(warning, /no record .*routes live traffic to blue \(v1\)/);
    const deploy = await ws.cli(['deploy', 'v2']);
    noStackTrace(deploy);
    assert.equal(deploy.code, 1, explain(deploy));
    assert.match(deploy.stderr, /could replace the release that serves traffic/);
    assert.deepEqual(await sample(main, 5), ['200 v1'], 'blue still serves v1: nothing was provisioned over it');
    const resume = await ws.cli(['resume']);
    assert.equal(resume.code, 0, explain(resume));
    assert.equal(resume.json.rebuilt, true, resume.stdout);
    assert.deepEqual(resume.json.live, { color: 'blue', version: 'v1' });
    const after = await ws.cli(['status']);
    assert.deepEqual(after.json.warnings, []);
    assert.equal(after.json.colors.blue.state, 'live');
    const next = await ws.cli(['deploy', 'v2']);
    assert.equal(next.code, 0, explain(next));
    assert.deepEqual(next.json.live, { color: 'green', version: 'v2' });
  });
});
