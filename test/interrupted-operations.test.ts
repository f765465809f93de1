// An operation cut short: by Ctrl-C, by SIGTERM, by kill -9. Each must leave a record that
// `status` explains, and say which command comes next. Also the progress spinner on a terminal
// that reports 0 columns, which `script -c` gives a command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { explain } from './support/cli-runner.ts';
import { sample, ScenarioWorkspace } from './support/workspace.ts';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));

/** The pids of `pid`'s children, from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs `cutover <args>` on a pseudo-terminal of 0x0 (script(1) with no terminal of its own to
 * copy a size from), as a person at a terminal would: no CI, no --json.
 */
function onZeroColumnTerminal(ws: ScenarioWorkspace, args: string[], timeoutMs: number) {
  const command = `exec ${[process.execPath, BIN, ...args, '--config', ws.configPath].map((a) => `'${a}'`).join(' ')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.NO_COLOR;
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let text = '';
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    if (text.length < 20_000) text += d.toString('utf8');
  });
  child.stderr.resume();
  const timer = setTimeout(() => {
    for (const pid of childrenOf(child.pid!)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<{ code: number | null; bytes: number; text: string; ms: number }>((resolve) => {
    const started = Date.now();
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, bytes, text, ms: Date.now() - started });
    });
  });
  return { child, done, cutoverPid: () => childrenOf(child.pid!)[0] };
}

describe('interrupted operations', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  before(async () => {
    ws = ScenarioWorkspace.create({ healthTimeout: '30s' });
    ({ main } = await ws.up());
    const r = await ws.cli(['deploy', 'v1']);
    assert.equal(r.code, 0, explain(r));
  });
  after(() => ws.dispose());

  test('the spinner on a 0-column terminal: the deploy ends normally, with bounded output', async () => {
    const run = onZeroColumnTerminal(ws, ['deploy', 'v2', '--yes'], 60_000);
    const r = await run.done;
    assert.equal(r.code, 0, `exit ${r.code} after ${r.ms}ms; output: ${r.text.slice(0, 2000)}`);
    assert.ok(r.bytes < 200_000, `${r.bytes} bytes of terminal output for one deploy`);
    assert.match(r.text, /promoted/);
    assert.deepEqual(await sample(main, 3), ['200 v2']);
  });

  test('SIGTERM while the spinner runs on a 0-column terminal: the process stops and says what it left', async () => {
    const run = onZeroColumnTerminal(ws, ['deploy', 'bad-health', '--yes'], 60_000);
    await ws.waitForPhase('verify');
    const pid = run.cutoverPid();
    assert.ok(pid, 'found the cutover process under script');
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    const r = await run.done;
    assert.ok(Date.now() - sent < 5_000, `took ${Date.now() - sent}ms to stop after SIGTERM`);
    assert.equal(r.code, 143, `exit ${r.code}; output: ${r.text.slice(-2000)}`);
    assert.match(r.text, /interrupted: the deploy of bad-health stopped at phase verify/);
    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
    assert.deepEqual(await sample(main, 3), ['200 v2']);
  });

  test('Ctrl-C during a deploy: prints what it left behind and the next command; status says the same', async () => {
    const deploy = ws.start(['deploy', 'bad-health']);
    await ws.waitForPhase('verify');
    const sent = Date.now();
    process.kill(deploy.pid, 'SIGINT');
    const r = await deploy.done;
    assert.ok(Date.now() - sent < 5_000, `took ${Date.now() - sent}ms to stop after Ctrl-C`);
    assert.equal(r.code, 130, explain(r));
    assert.match(r.stderr, /interrupted: the deploy of bad-health stopped at phase verify\. Left behind:/);
    assert.match(r.stderr, /green \(v2\) serves live traffic/);
    assert.match(r.stderr, /blue \(bad-health\) is provisioning, not live \(the new release\)|blue \(bad-health\) is ready, not live \(the new release\)/);
    assert.match(r.stderr, /Next: `cutover resume` to finish it, or `cutover abort` to undo it/);
    assert.deepEqual(await sample(main, 3), ['200 v2'], 'the unverified release took no traffic');

    const status = await ws.cli(['status']);
    assert.equal(status.json.operation.holderGone, true, status.stdout);
    const warning = status.json.warnings.find((w: string) => /was interrupted at verify/.test(w));
    assert.ok(warning, `status warnings: ${JSON.stringify(status.json.warnings)}`);
    assert.match(warning, /is gone\. Run `cutover resume` to finish it, or `cutover abort` to undo it/);
    const doctor = await ws.cli(['doctor']);
    const op = doctor.json.findings.find((f: { check: string }) => f.check === 'operation');
    assert.equal(op.verdict, 'problem', JSON.stringify(doctor.json.findings));

    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
    const clean = await ws.cli(['status']);
    assert.deepEqual(clean.json.warnings, []);
    assert.equal(clean.json.operation, null);
  });

  test('kill -9 during a deploy: status names the dead holder and what to run', async () => {
    const deploy = ws.start(['deploy', 'bad-health']);
    await ws.waitForPhase('verify');
    process.kill(deploy.pid, 'SIGKILL');
    await deploy.done;
    const status = await ws.cli(['status']);
    assert.ok(status.json.warnings.some((w: string) => new RegExp(`pid ${deploy.pid} on .*\\) is gone\\. Run \`cutover resume\``).test(w)), JSON.stringify(status.json.warnings));
    const abort = await ws.cli(['abort']);
    assert.equal(abort.code, 0, explain(abort));
  });
});
