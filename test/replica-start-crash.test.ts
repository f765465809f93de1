// A release that throws before it listens: Node prints the error and its stack, then a last
// "Node.js vX" line. What the operator sees (the deploy's provision phase, `status`, `history`)
// must name the error and where it was thrown, not that trailing version line. Real CLI, real
// daemon, a real replica process that throws at start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain } from './support/cli-runner.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const THROWS_AT_START = 'v-throws';

describe('a replica that throws at start says why', () => {
  let ws: ScenarioWorkspace;
  before(async () => {
    ws = ScenarioWorkspace.create();
    mkdirSync(join(ws.dir, 'releases', THROWS_AT_START));
    writeFileSync(join(ws.dir, 'releases', THROWS_AT_START, 'server.js'), "throw new Error('boom at start');\n");
    await ws.up();
  });
  after(() => ws.dispose());

  test('given a release that throws before listening, when it is deployed, then provision, status and history name the error and its first frame', async (t) => {
    const r = await ws.cli(['deploy', THROWS_AT_START]);
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.json.outcome, 'failed');
    const provision = r.json.phases.find((p: Json) => p.name === 'provision');
    assert.equal(provision.status, 'failed');
    t.diagnostic(provision.detail);
    // The error line and the frame in the app's own file, in that order.
    const why = /Error: boom at start.*at .*server\.js:1:7/;
    assert.match(provision.detail, /crash-looping/);
    assert.match(provision.detail, why);
    assert.doesNotMatch(provision.detail, /Node\.js v\d+/, 'the trailing version line explains nothing');

    const status = await ws.cli(['status']);
    assert.match(status.json.lastOutcome.message, why, status.stdout);
    const history = await ws.cli(['history']);
    const finished = (history.json as Json[]).filter((e) => e.event === 'finished').at(-1);
    assert.match(finished.message, why, JSON.stringify(finished));
  });
});
