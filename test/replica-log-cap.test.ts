// The review saw replica logs reach 97 MB in 8 minutes. The rotation itself has a unit test
// (log-rotation.test.ts); this one proves the wiring a user relies on: `platform.logs` in
// cutover.yaml, read by `up`, applied by the daemon to the logs of the replicas it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleServerSource } from '../src/demo/example-app.ts';
import { explain } from './support/cli-runner.ts';
import { ScenarioWorkspace } from './support/workspace.ts';

const CAP = 16_000;
const LINE = 1_000;

/** The example app, plus a line of about 1 kB on stdout every 10 ms (~100 kB/s), numbered. */
const CHATTY_SERVER = `${exampleServerSource()}
let line = 0;
setInterval(() => { console.log(String(line++).padStart(8, '0') + ' ' + 'x'.repeat(${LINE - 10})); }, 10);
`;

/**
 * Given `platform.logs: {maxSize: 16KB, keep: 1}` and a release that logs ~100 kB/s per replica,
 * when it has run for 8 s,
 * then each replica's stdout log has been rotated (one kept copy, never a second), and what is
 * on disk is a small part of what the replica wrote.
 */
test('platform.logs caps the logs of the replicas the daemon runs', { timeout: 120_000 }, async () => {
  const ws = ScenarioWorkspace.create();
  try {
    const config = readFileSync(ws.configPath, 'utf8').replace('  replicas: 2\n', '  replicas: 2\n  logs:\n    maxSize: 16KB\n    keep: 1\n');
    writeFileSync(ws.configPath, config);
    writeFileSync(join(ws.dir, 'releases', 'v1', 'server.js'), CHATTY_SERVER);
    await ws.up();
    const deploy = await ws.cli(['deploy', 'v1']);
    assert.equal(deploy.code, 0, explain(deploy));
    await new Promise((r) => setTimeout(r, 8_000));

    const logs = join(ws.dir, '.cutover', 'logs');
    // A rotation pass may be truncating a log at the moment it is read (copy-truncate leaves the
    // live file empty until the replica's next line): read again, for at most 2 s, until both
    // replicas' logs hold lines.
    const withLines = () => readdirSync(logs).filter((n) => n.endsWith('.out.log') && readFileSync(join(logs, n), 'latin1').includes('x'.repeat(100)));
    let current = withLines();
    for (let tries = 0; current.length < 2 && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      current = withLines();
    }
    assert.equal(current.length, 2, `one stdout log per replica: ${readdirSync(logs).join(', ')}`);
    for (const name of current) {
      const path = join(logs, name);
      assert.ok(existsSync(`${path}.1`), `${name} was rotated`);
      assert.ok(!existsSync(`${path}.2`), `${name}: no more than one kept copy`);
      const numbers = readFileSync(path, 'latin1').match(/^\d{8} /gm) ?? [];
      const written = (Number(numbers.at(-1) ?? 0) + 1) * LINE;
      const onDisk = statSync(path).size + statSync(`${path}.1`).size;
      assert.ok(written > 8 * CAP, `the replica wrote ${written} bytes`);
      // Rotation runs every 2 s: between passes a log may grow past the cap by what 2 s add.
      assert.ok(onDisk < 2 * (CAP + 2 * 100 * LINE) && onDisk < written / 2, `${name}: ${onDisk} bytes on disk of ${written} written`);
    }
  } finally {
    await ws.dispose();
  }
});
