// Flags set on the live color follow to the next release, and the deploy says which it got.
// Proof from the replicas themselves: FEATURE_FLAGS_JSON in /proc/<pid>/environ.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { explain } from './support/cli-runner.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

let ws: ScenarioWorkspace;
before(async () => {
  ws = ScenarioWorkspace.create();
  await ws.up();
  const r = await ws.cli(['deploy', 'v1']);
  assert.equal(r.code, 0, explain(r));
});
after(() => ws.dispose());

/** FEATURE_FLAGS_JSON of every running replica of `color`, as its process sees it. */
function replicaFlags(color: string): unknown[] {
  const replicas: Array<{ pid?: number }> = ws.readDaemonSnapshot()?.colors?.[color]?.replicas ?? [];
  return replicas.filter((r) => r.pid).map((r) => {
    const env = readFileSync(`/proc/${r.pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith('FEATURE_FLAGS_JSON='));
    return JSON.parse(entry?.slice('FEATURE_FLAGS_JSON='.length) ?? 'null');
  });
}

test('a flag set on the live color is inherited by the next release, which says so', async () => {
  const set = await ws.cli(['flags', 'set', 'beta=true', '--target-color', 'live', '--yes']);
  assert.equal(set.code, 0, explain(set));
  const r = await ws.cli(['deploy', 'v2']);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.json.flags, { source: 'live', values: { beta: true }, reason: 'inherited from live blue (v1)' });
  assert.match(r.stderr, /flags for v2 on green: \{"beta":true\}, inherited from live blue \(v1\)/);
  assert.deepEqual(replicaFlags('green'), [{ beta: true }, { beta: true }]);
});

test('flags staged on the idle color for the next release are used; --flags-from defaults starts clean', async () => {
  const stage = await ws.cli(['flags', 'set', 'beta=true', 'checkout=2']);
  assert.equal(stage.code, 0, explain(stage));
  const r = await ws.cli(['deploy', 'v3']);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.json.flags.source, 'idle');
  assert.deepEqual(replicaFlags('blue'), [{ beta: true, checkout: 2 }, { beta: true, checkout: 2 }]);
  const clean = await ws.cli(['deploy', 'v1', '--flags-from', 'defaults']);
  assert.equal(clean.code, 0, explain(clean));
  assert.deepEqual(clean.json.flags.values, {});
  assert.deepEqual(replicaFlags('green'), [{}, {}]);
  const bad = await ws.cli(['deploy', 'v2', '--flags-from', 'elsewhere']);
  assert.equal(bad.code, 2, explain(bad));
});
