/**
 * The GitHub Action's entry point (action.yml at the repo root; `cutover-github-action` in an
 * installed package). Reads the inputs from INPUT_* variables, runs the cutover CLI with --json
 * (which appends the job summary itself when GITHUB_STEP_SUMMARY is set), and turns its result
 * into step outputs and `::error` annotations. Exits with the CLI's exit code.
 *
 * Inputs: INPUT_COMMAND (deploy, promote, rollback, abort, status), INPUT_CONFIG, INPUT_VERSION
 * (deploy), INPUT_TIMEOUT (a duration; the operation is aborted past it), INPUT_WAIT_AT_GATE
 * ("true": deploy stops at the gate, verified, for a later `promote`). CUTOVER_BIN overrides the
 * CLI to run (default: this package's bin/cutover).
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { packageFile } from '../package-root.ts';
import { parseDuration } from '../config/duration.ts';

const COMMANDS = ['deploy', 'promote', 'rollback', 'abort', 'status'] as const;
type ActionCommand = (typeof COMMANDS)[number];
const KILL_GRACE_MS = 15_000;

/** What the Action reports as step outputs. */
export interface ActionOutputs {
  outcome: string;
  'live-color': string;
  'live-version': string;
  'previous-version': string;
  'rollback-reason': string;
  /** Seconds the command ran, one decimal. */
  duration: string;
}

interface CliRun { code: number | null; stdout: string; timedOut: boolean }

const env = process.env;
const bin = env['CUTOVER_BIN'] || packageFile('bin/cutover');

function input(name: string): string {
  return (env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] ?? '').trim();
}

/** `::error` text: GitHub's workflow-command escaping for data and properties. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function annotateError(title: string, message: string): void {
  process.stdout.write(`::error title=${escapeProperty(title)}::${escapeData(message)}\n`);
}

// Hand-written rather than @actions/core: these two file formats are all the Action needs, and
// the package would be a runtime dependency of every cutover install.
function writeOutputs(outputs: ActionOutputs): void {
  const file = env['GITHUB_OUTPUT'];
  const lines = Object.entries(outputs).map(([name, value]) => {
    if (!/[\r\n]/.test(value)) return `${name}=${value}\n`;
    const delimiter = `cutover_${randomUUID()}`;
    return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  });
  if (file) appendFileSync(file, lines.join(''));
  else for (const line of lines) process.stdout.write(line);
}

function runCli(args: string[], timeoutMs: number | null): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    const timer = timeoutMs === null ? null : setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, timedOut });
    });
  });
}

function parseJson(text: string): Record<string, any> | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const command = input('command') as ActionCommand;
  const config = input('config') || 'cutover.yaml';
  const version = input('version');
  const waitAtGate = input('wait-at-gate') === 'true';
  if (!COMMANDS.includes(command)) {
    annotateError('cutover: bad input', `command: expected one of ${COMMANDS.join(', ')}, found "${command}"`);
    return 2;
  }
  if (command === 'deploy' && !version) {
    annotateError('cutover: bad input', 'version: deploy needs the version to release');
    return 2;
  }
  let timeoutMs: number | null = null;
  if (input('timeout')) {
    try {
      timeoutMs = parseDuration(input('timeout')) || null;
    } catch (err) {
      annotateError('cutover: bad input', `timeout: ${(err as Error).message}`);
      return 2;
    }
  }
  const global = ['--config', config, '--json', '--yes'];
  const before = parseJson((await runCli(['status', ...global], 60_000)).stdout);
  const previousVersion = String(before?.['live']?.['version'] ?? '');
  const args = command === 'deploy' ? ['deploy', version, ...(waitAtGate ? ['--no-switch'] : [])] : [command];
  const started = Date.now();
  const run = await runCli([...args, ...global], timeoutMs);
  const duration = ((Date.now() - started) / 1000).toFixed(1);
  const result = parseJson(run.stdout);
  const subject = command === 'deploy' ? `deploy ${version}` : command;
  const outputs: ActionOutputs = {
    outcome: '',
    'live-color': String(result?.['live']?.['color'] ?? ''),
    'live-version': String(result?.['live']?.['version'] ?? ''),
    'previous-version': previousVersion,
    'rollback-reason': '',
    duration,
  };
  let code = run.code ?? 1;
  if (run.timedOut) {
    // The CLI was stopped mid-operation: abort it so the previously live color keeps serving.
    const abort = parseJson((await runCli(['abort', ...global], 5 * 60_000)).stdout);
    outputs.outcome = 'timeout';
    outputs['live-color'] = String(abort?.['live']?.['color'] ?? '');
    outputs['live-version'] = String(abort?.['live']?.['version'] ?? '');
    annotateError(`cutover ${subject}: timed out`, `the operation did not finish within ${input('timeout')} and was aborted (${abort?.['message'] ?? 'abort gave no result'}); live: ${outputs['live-color'] || 'nothing'} ${outputs['live-version']}`);
    code = 1;
  } else if (result?.['error']) {
    outputs.outcome = String(result['error']['code'] === 'refused' ? 'refused' : 'error');
    annotateError(`cutover ${subject}: ${outputs.outcome}`, String(result['error']['message']));
  } else if (command === 'status') {
    outputs.outcome = code === 0 ? 'ok' : 'error';
  } else if (result && typeof result['outcome'] === 'string') {
    outputs.outcome = result['outcome'];
    if (result['outcome'] === 'rolled_back' || result['outcome'] === 'failed') {
      const failed = Array.isArray(result['phases']) ? result['phases'].find((p: { status?: string }) => p.status === 'failed') : undefined;
      outputs['rollback-reason'] = failed ? `${failed.name}: ${failed.detail}` : String(result['message'] ?? '');
    }
    if (code !== 0) annotateError(`cutover ${subject}: ${String(result['outcome']).replace('_', ' ')}`, `${result['message']}${outputs['rollback-reason'] ? ` (${outputs['rollback-reason']})` : ''}`);
  } else {
    outputs.outcome = 'error';
    annotateError(`cutover ${subject}: no result`, `cutover exited ${code} without a JSON result; see the log above`);
  }
  writeOutputs(outputs);
  return code;
}

process.exitCode = await main();
