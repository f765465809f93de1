// The GitHub Action's entry point (src/ci/github-action.ts, what action.yml runs) against a real
// local deploy: real daemon, real releases, fake GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { get, ScenarioWorkspace } from './support/workspace.ts';

const ENTRY = fileURLToPath(new URL('../bin/cutover-github-action', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MANIFEST: any = parse(readFileSync(fileURLToPath(new URL('../action.yml', import.meta.url)), 'utf8'));

interface ActionRun { code: number | null; stdout: string; stderr: string; outputs: Record<string, string> }

/** Parses GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` ... `DELIM` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) {
      const at = lines[i]!.indexOf('=');
      outputs[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return outputs;
}

describe('the GitHub Action entry point', () => {
  let ws: ScenarioWorkspace;
  let main: string;
  let outputFile: string;
  let summaryFile: string;

  function action(inputs: Record<string, string>): Promise<ActionRun> {
    writeFileSync(outputFile, '');
    const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, NO_COLOR: '1' };
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = value;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [ENTRY], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, outputs: parseOutputs(readFileSync(outputFile, 'utf8')) });
      });
    });
  }

  before(async () => {
    ws = ScenarioWorkspace.create();
    outputFile = join(ws.dir, 'github-output');
    summaryFile = join(ws.dir, 'step-summary.md');
    writeFileSync(summaryFile, '');
    ({ main } = await ws.up());
  });
  after(() => ws.dispose());

  test('deploy: outputs say what went live and what was live before, and the summary shows the phases and the switch proof', async () => {
    const first = await action({ command: 'deploy', version: 'v1', config: ws.configPath });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual({ ...first.outputs, duration: undefined }, { outcome: 'promoted', 'live-color': 'blue', 'live-version': 'v1', 'previous-version': '', 'rollback-reason': '', duration: undefined });
    assert.match(first.outputs['duration']!, /^\d+\.\d$/);
    assert.deepEqual(Object.keys(first.outputs).sort(), Object.keys(MANIFEST.outputs).sort(), 'action.yml declares every output the entry point writes');
    writeFileSync(summaryFile, '');
    const second = await action({ command: 'deploy', version: 'v2', config: ws.configPath, timeout: '2m' });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.outputs['outcome'], 'promoted');
    assert.equal(second.outputs['live-color'], 'green');
    assert.equal(second.outputs['live-version'], 'v2');
    assert.equal(second.outputs['previous-version'], 'v1');
    assert.doesNotMatch(second.stdout, /::error/);
    assert.equal((await get(main)).version, 'v2');
    const summary = readFileSync(summaryFile, 'utf8');
    assert.match(summary, /^### cutover deploy v2: promoted/m);
    assert.match(summary, /\| phase \| result \| time \| detail \|/);
    for (const phase of ['preflight', 'provision', 'verify', 'switch', 'monitor', 'retire']) assert.match(summary, new RegExp(`^\\| ${phase} \\| ✅ succeeded \\| [\\d.]+m?s \\|`, 'm'), `${phase} row in\n${summary}`);
    assert.match(summary, /\*\*Switch proof\*\*\n\n- \*\*switch\*\*: .*green/);
  });

  test('rollback and status through the Action: back to v1', async () => {
    writeFileSync(summaryFile, '');
    const back = await action({ command: 'rollback', config: ws.configPath });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.outputs['outcome'], 'rolled_back');
    assert.equal(back.outputs['live-version'], 'v1');
    assert.equal(back.outputs['previous-version'], 'v2');
    assert.match(readFileSync(summaryFile, 'utf8'), /^### cutover rollback v1: rolled back/m);
    assert.match(readFileSync(summaryFile, 'utf8'), /- \*\*rollback\*\*: /);
    assert.equal((await get(main)).version, 'v1');
    const status = await action({ command: 'status', config: ws.configPath });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.outputs['outcome'], 'ok');
    assert.equal(status.outputs['live-version'], 'v1');
  });

  test('a release that fails verification: exit 1, an ::error annotation, the reason as an output and in the summary', async () => {
    writeFileSync(summaryFile, '');
    const bad = await action({ command: 'deploy', version: 'bad-health', config: ws.configPath });
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.outputs['outcome'], 'failed');
    assert.equal(bad.outputs['live-version'], 'v1', 'the live color keeps serving');
    assert.equal(bad.outputs['previous-version'], 'v1');
    assert.match(bad.outputs['rollback-reason']!, /^verify: health checks failed/);
    assert.match(bad.stdout, /^::error title=cutover deploy bad-health%3A failed::.*health checks failed/m);
    const summary = readFileSync(summaryFile, 'utf8');
    assert.match(summary, /^### cutover deploy bad-health: failed/m);
    assert.match(summary, /^\| verify \| ❌ failed \|/m);
    assert.match(summary, /^\*\*Why\*\*: verify: health checks failed/m);
    assert.equal((await get(main)).version, 'v1');
  });

  test('action.yml hands every input but package to the entry point as INPUT_*', () => {
    const run = MANIFEST.runs.steps.find((step: { id?: string }) => step.id === 'cutover');
    const passed = Object.keys(run.env).sort();
    const declared = Object.keys(MANIFEST.inputs).filter((name) => name !== 'package').map((name) => `INPUT_${name.toUpperCase().replace(/-/g, '_')}`).sort();
    assert.deepEqual(passed, declared);
  });

  test('bad inputs are annotated and exit 2 before anything runs', async () => {
    const wrong = await action({ command: 'ship', config: ws.configPath });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stdout, /^::error title=cutover%3A bad input::command: expected one of deploy, promote, rollback, abort, status, found "ship"/m);
    const noVersion = await action({ command: 'deploy', config: ws.configPath });
    assert.equal(noVersion.code, 2);
    assert.match(noVersion.stdout, /version: deploy needs the version/);
  });
});
