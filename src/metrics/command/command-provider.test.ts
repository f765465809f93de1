import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MeasureContext } from '../provider.ts';
import { providerContract } from '../../../test/support/metric-provider-contract.ts';
import { isProcessAlive } from '../../process/process-alive.ts';
import { CommandProvider } from './command-provider.ts';
import type { CommandQuery } from './command-query.ts';

const node = process.execPath;

const provider = new CommandProvider({ baseDir: process.cwd(), env: { PATH: process.env.PATH } });

providerContract<CommandQuery>('command', async () => ({
  provider,
  good: {
    query: { kind: 'command', run: [node, '-e', 'console.log("checking ${color}"); console.log(process.argv[1] === "blue" ? 0.25 : 4)', '${color}'] },
    expected: { blue: 0.25, green: 4 },
  },
  unreachable: { query: { kind: 'command', run: ['/nonexistent/cutover-metric-probe'] } },
  hanging: { query: { kind: 'command', run: [node, '-e', 'setTimeout(() => {}, 60000)'], timeout: '700ms' }, timeoutMs: 700 },
  garbage: { query: { kind: 'command', run: [node, '-e', 'console.log("all good!")'] } },
  close: async () => {},
}), { empty: 'a program always answers something: no output is garbage, covered by the garbage case' });

describe('command provider', () => {
  const ctx: MeasureContext = { app: 'shop-api', color: 'green', version: 'v2', windowMs: 30_000, targetUrl: 'http://127.0.0.1:8081' };

  test('the program gets CUTOVER_* variables and the configured env', async () => {
    const script = 'const e = process.env; console.log(JSON.stringify([e.CUTOVER_APP, e.CUTOVER_COLOR, e.CUTOVER_VERSION, e.CUTOVER_TARGET_URL, e.CUTOVER_WINDOW_SECONDS, e.EXTRA])); console.log(1)';
    const dir = await mkdtemp(join(tmpdir(), 'cutover-cmd-'));
    try {
      const out = join(dir, 'env.json');
      const m = await provider.measure({ kind: 'command', run: [node, '-e', `${script.replace('console.log(JSON', `require("fs").writeFileSync(${JSON.stringify(out)}, JSON`)}`], env: { EXTRA: 'x' } }, ctx);
      assert.equal(m.phase, 'successful', m.message);
      assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), ['shop-api', 'green', 'v2', 'http://127.0.0.1:8081', '30', 'x']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('value: exit-code measures the exit code; in stdout mode a non-zero exit is an error with stderr', async () => {
    const code = await provider.measure({ kind: 'command', run: [node, '-e', 'process.exit(3)'], value: 'exit-code' }, ctx);
    assert.deepEqual([code.phase, code.value], ['successful', 3]);
    const failed = await provider.measure({ kind: 'command', run: [node, '-e', 'console.error("db unreachable"); process.exit(2)'] }, ctx);
    assert.equal(failed.phase, 'error');
    assert.match(failed.message!, /exited 2: db unreachable/);
  });

  test('a relative cwd resolves against the config directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-cmd-'));
    try {
      await writeFile(join(dir, 'metric.mjs'), 'console.log(0.75)');
      const scoped = new CommandProvider({ baseDir: dir, env: {} });
      const m = await scoped.measure({ kind: 'command', run: [node, 'metric.mjs'], cwd: '.' }, ctx);
      assert.equal(m.value, 0.75, m.message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a timeout kills the whole process group, including children the program started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-cmd-'));
    try {
      const pidFile = join(dir, 'child.pid');
      const script = `const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(()=>{}, 60000)"], { stdio: "ignore" }); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setTimeout(() => {}, 60000);`;
      const m = await provider.measure({ kind: 'command', run: [node, '-e', script], timeout: '800ms' }, ctx);
      assert.equal(m.phase, 'error');
      assert.match(m.message!, /did not finish within 800ms and was killed/);
      const childPid = Number(await readFile(pidFile, 'utf8'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(isProcessAlive(childPid), false, 'the grandchild is gone too');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
