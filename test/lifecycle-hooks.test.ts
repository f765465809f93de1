// Lifecycle hooks (`hooks:` in cutover.yaml) with real processes: the real CLI, daemon, releases
// and router, and hook commands that are real programs run without a shell.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { get, ScenarioWorkspace, type CliResult } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// Records its environment and argv, prints to both streams, exits with $HOOK_EXIT_<point> (0 by default).
const RECORDING_HOOK = `#!/bin/sh
echo "$CUTOVER_HOOK app=$CUTOVER_APP version=$CUTOVER_VERSION color=$CUTOVER_COLOR live=$CUTOVER_LIVE_COLOR previous=$CUTOVER_PREVIOUS_VERSION preview=$CUTOVER_PREVIEW_URL reason=$CUTOVER_REASON args=$*" >> hooks.log
echo "stdout of $CUTOVER_HOOK"
echo "stderr of $CUTOVER_HOOK" >&2
if [ -f "fail-$CUTOVER_HOOK" ]; then echo "integration tests: 3 failed" >&2; exit 3; fi
exit 0
`;

const ALL_POINTS = ['beforeProvision', 'afterVerify', 'beforeSwitch', 'afterSwitch', 'afterBake', 'onRollback'];

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

function phase(r: CliResult, name: string): Json {
  const found = (r.json?.phases ?? []).filter((p: Json) => p.name === name).at(-1);
  assert.ok(found, `no ${name} phase: ${explain(r)}`);
  return found;
}

describe('lifecycle hooks', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  let preview: string;
  let hooked: string;
  const log = () => (existsSync(join(ws.dir, 'hooks.log')) ? readFileSync(join(ws.dir, 'hooks.log'), 'utf8').trim().split('\n') : []);
  const resetLog = () => rmSync(join(ws.dir, 'hooks.log'), { force: true });
  const failAt = (point: string | null) => {
    for (const p of ALL_POINTS) rmSync(join(ws.dir, `fail-${p}`), { force: true });
    if (point) writeFileSync(join(ws.dir, `fail-${point}`), '');
  };

  before(async () => {
    ws = ScenarioWorkspace.create();
    writeFileSync(join(ws.dir, 'scripts', 'hook.sh'), RECORDING_HOOK);
    chmodSync(join(ws.dir, 'scripts', 'hook.sh'), 0o755);
    // Same directory as cutover.yaml, so the same state; `$HOME` must reach the hook unexpanded.
    hooked = join(ws.dir, 'hooked.yaml');
    writeFileSync(hooked, `${readFileSync(ws.configPath, 'utf8')}hooks:\n  timeout: 20s\n${ALL_POINTS.map((p) => `  ${p}: ["./scripts/hook.sh", "$HOME", "two words"]\n`).join('')}`);
    ({ main, preview } = await ws.up());
    const first = await ws.cli(['deploy', 'v1']);
    assert.equal(first.code, 0, explain(first));
  });
  after(() => ws.dispose());

  test('a deploy runs each hook at its boundary, in order, with the release in its environment and no shell', async () => {
    resetLog();
    const r = await ws.cli(['deploy', 'v2'], { config: hooked });
    assert.equal(r.code, 0, explain(r));
    const lines = log();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['beforeProvision', 'afterVerify', 'beforeSwitch', 'afterSwitch', 'afterBake']);
    const previewPort = new URL(preview).port;
    assert.match(lines[0]!, new RegExp(`^beforeProvision app=scenario-shop version=v2 color=green live=blue previous=v1 preview=http://127\\.0\\.0\\.1:${previewPort}`));
    assert.match(lines[2]!, /^beforeSwitch .* live=blue previous=v1 /);
    assert.match(lines[3]!, /^afterSwitch .* color=green live=green previous=v1 /);
    for (const line of lines) assert.match(line, /args=\$HOME two words$/, 'argv reaches the hook as written, with no shell');
    assert.equal((await get(main)).version, 'v2');
  });

  test("each hook's output is in the phase evidence and in the history", async () => {
    const history = readFileSync(join(ws.dir, '.cutover', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const phases = history.filter((e: Json) => e.event === 'phase' && e.version === 'v2').map((e: Json) => e.phase);
    const hooksIn = (name: string) => phases.find((p: Json) => p.name === name)?.data?.hooks ?? [];
    assert.equal(hooksIn('provision')[0]?.point, 'beforeProvision');
    assert.equal(hooksIn('gate')[0]?.point, 'afterVerify');
    assert.equal(hooksIn('switch')[0]?.point, 'beforeSwitch');
    assert.equal(hooksIn('monitor')[0]?.point, 'afterSwitch');
    assert.equal(hooksIn('retire')[0]?.point, 'afterBake');
    const run = hooksIn('switch')[0].runs[0];
    assert.deepEqual(run.command, ['./scripts/hook.sh', '$HOME', 'two words']);
    assert.equal(run.exitCode, 0);
    assert.match(run.output, /stdout of beforeSwitch/);
    assert.match(run.output, /stderr of beforeSwitch/);
    assert.ok(phases.find((p: Json) => p.name === 'switch').data.proof, 'the phase keeps its own evidence beside the hooks');
  });

  test('a failing beforeSwitch hook stops the release as a failed check would: live traffic never moves', async () => {
    failAt('beforeSwitch');
    resetLog();
    const r = await ws.cli(['deploy', 'v3'], { config: hooked });
    failAt(null);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    assert.match(r.json.message, /hooks\.beforeSwitch failed: \.\/scripts\/hook\.sh \$HOME two words: exit 3: integration tests: 3 failed/);
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    assert.ok(!r.json.phases.some((p: Json) => p.name === 'switch'), 'no switch phase ran');
    const evidence = r.json.phases.at(-1).data.hooks.at(-1);
    assert.equal(evidence.point, 'beforeSwitch');
    assert.equal(evidence.runs[0].exitCode, 3);
    assert.deepEqual(log().map((l) => l.split(' ')[0]), ['beforeProvision', 'afterVerify', 'beforeSwitch']);
    assert.equal((await get(main)).version, 'v2');
  });

  test('a failing afterSwitch hook rolls back, and onRollback runs once traffic is back', async () => {
    failAt('afterSwitch');
    resetLog();
    const r = await ws.cli(['deploy', 'v3'], { config: hooked });
    failAt(null);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'rolled_back');
    assert.match(r.json.message, /hooks\.afterSwitch failed/);
    assert.deepEqual(r.json.live, { color: 'green', version: 'v2' });
    const lines = log();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['beforeProvision', 'afterVerify', 'beforeSwitch', 'afterSwitch', 'onRollback']);
    assert.match(lines.at(-1)!, /^onRollback app=scenario-shop version=v2 color=green live=green previous=v3 .*reason=hooks\.afterSwitch failed/);
    assert.equal(phase(r, 'rollback').data.hooks[0].point, 'onRollback');
    assert.equal((await get(main)).version, 'v2');
  });

  test('a hook past its timeout is killed and counts as failed', async () => {
    writeFileSync(join(ws.dir, 'scripts', 'slow.sh'), '#!/bin/sh\necho starting slow checks\nsleep 30\n');
    chmodSync(join(ws.dir, 'scripts', 'slow.sh'), 0o755);
    const slow = join(ws.dir, 'slow.yaml');
    writeFileSync(slow, `${readFileSync(ws.configPath, 'utf8')}hooks:\n  beforeProvision:\n    - command: ["./scripts/slow.sh"]\n      timeout: 500ms\n`);
    const started = Date.now();
    const r = await ws.cli(['deploy', 'v3'], { config: slow });
    assert.equal(r.code, 1, explain(r));
    assert.match(r.json.message, /hooks\.beforeProvision failed: \.\/scripts\/slow\.sh: no result within 500ms \(killed\): starting slow checks/);
    assert.ok(Date.now() - started < 20_000, 'the 30 s hook did not hold the deploy');
    assert.equal((await get(main)).version, 'v2');
  });

  test('hook config errors name the field', async () => {
    const bad = join(ws.dir, 'bad-hooks.yaml');
    writeFileSync(bad, `${readFileSync(ws.configPath, 'utf8')}hooks:\n  beforeSwitch: "./scripts/hook.sh"\n`);
    const r = await ws.cli(['deploy', 'v3'], { config: bad });
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, /hooks\.beforeSwitch/);
  });
});
