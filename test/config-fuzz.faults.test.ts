import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfig } from '../src/config/load.ts';
import { configSchema } from '../src/config/schema.ts';
import { CutoverError } from '../src/core/errors.ts';
import { resolveProgressive } from '../src/core/progressive/config-schema.ts';
import { resolveMigrationsSection } from '../src/migrations/load-config.ts';
import { analysisSchema, notificationsSchema } from '../src/metrics/config-schema.ts';
import { resolveMetric } from '../src/metrics/resolve-analysis.ts';
import { createNotifier } from '../src/notify/create-notifier.ts';
import { freePort } from '../src/drivers/local/free-port.ts';
import { CliRunner, explain } from './support/cli-runner.ts';
import { FULL_LOCAL_EXAMPLE, mutatedConfig, SEEDS, type MutatedConfig } from './support/config-mutations.ts';

/**
 * The config fuzz: property-based mutations of the DESIGN.md examples through the real loader
 * and the real `bin/cutover doctor`. Whatever the file says, cutover answers with a config
 * error naming the field (exit 2) or works with it: never exit 70, never a stack trace.
 * Bounded in runs and in time, with a fixed seed so a failure can be replayed.
 */

const SEED = Number(process.env.CUTOVER_FUZZ_SEED ?? 20261201);
const IN_PROCESS_RUNS = Number(process.env.CUTOVER_FUZZ_RUNS ?? 1500);
const CLI_RUNS = Number(process.env.CUTOVER_FUZZ_CLI_RUNS ?? 10);
const STACK_TRACE = /\n\s+at .+(:\d+:\d+\)?|\(native\))$/m;
/** The top-level keys of cutover.yaml: every field path starts with one. */
const TOP = Object.keys(configSchema.shape).map((k) => k.replace('$', '\\$')).join('|');
/** A field path at the start of a problem line: `platform.replicas`, `health.checks[0].http`, `(top level)`. */
const FIELD_PATH = new RegExp(`^(\\(top level\\)|(${TOP})(\\[\\d+\\]|\\.[^\\s.:[\\]]+)*)[: ]`);
/** A field path anywhere in a message, e.g. "kubeconfig /home/u/.kube/config has no context "x" (platform.context)". */
const MENTIONS_FIELD = new RegExp(`(^|[\\s("'])(${TOP})(\\[\\d+\\]|\\.[^\\s.:[\\]()]+)*([:)\\s]|$)`, 'm');
const CONFIG_PATH = '/fuzz/cutover.yaml';

/** Does what the CLI does with a config before any command runs: load it, then resolve the optional sections. */
function loadAsTheCliDoes(text: string): void {
  const config = parseConfig(text, CONFIG_PATH);
  resolveProgressive(config.raw.progressive);
  resolveMigrationsSection(config.raw.migrations, CONFIG_PATH, {});
  if (config.raw.analysis !== undefined) {
    const analysis = analysisSchema.parse(config.raw.analysis);
    for (const metric of analysis.pre ?? []) resolveMetric(metric, { stage: 'pre' });
    for (const metric of analysis.post ?? []) resolveMetric(metric, { stage: 'post', bakeMs: config.monitor.durationMs });
  }
  if (config.raw.notifications !== undefined) void createNotifier(notificationsSchema.parse(config.raw.notifications))?.close(0);
}

/** The lines of a config error that describe problems (after "<file> has N problems:"), or the one-line message. */
function problemLines(err: CutoverError): string[] {
  const issues = (err.details as { issues?: unknown } | undefined)?.issues;
  if (Array.isArray(issues)) return issues.map(String);
  const [first, ...rest] = err.message.split('\n');
  if (rest.length > 0) return rest.map((l) => l.trim()).filter(Boolean);
  return [first.startsWith(`${CONFIG_PATH}: `) ? first.slice(CONFIG_PATH.length + 2) : first];
}

function checkConfigError(err: unknown, input: MutatedConfig): void {
  const where = `seed ${input.seed}, mutations ${JSON.stringify(input.mutations).slice(0, 600)}`;
  assert.ok(err instanceof CutoverError, `not a CutoverError (this would exit 70): ${String((err as Error)?.stack ?? err)}\n${where}`);
  assert.equal(err.code, 'config', `${err.message}\n${where}`);
  assert.doesNotMatch(err.message, STACK_TRACE, where);
  if (/is not valid YAML/.test(err.message)) {
    assert.match(err.message, /line \d+, column \d+/, where);
    return;
  }
  for (const line of problemLines(err)) assert.match(line, FIELD_PATH, `"${line}" does not start with a field path\n${where}`);
}

describe('config fuzz: mutated DESIGN.md examples through the real loader', () => {
  test('the seeds are valid configs', () => {
    assert.ok(Object.keys(SEEDS).length >= 3);
    assert.doesNotThrow(() => loadAsTheCliDoes(FULL_LOCAL_EXAMPLE));
  });

  test('every mutation loads, or is refused with a config error whose every line names a field path', () => {
    let refused = 0;
    let loaded = 0;
    fc.assert(fc.property(mutatedConfig, (input) => {
      try {
        loadAsTheCliDoes(input.text);
        loaded++;
      } catch (err) {
        refused++;
        checkConfigError(err, input);
      }
    }), { seed: SEED, numRuns: IN_PROCESS_RUNS, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false });
    // Both outcomes must occur, or the mutations are not exercising the loader.
    assert.ok(refused > IN_PROCESS_RUNS / 10 && loaded > 0, `refused ${refused}, loaded ${loaded}`);
  });
});

describe('config fuzz: mutated configs through the real bin/cutover doctor', () => {
  let dir: string;
  let cli: CliRunner;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-config-fuzz-'));
    // A kubeconfig whose API server refuses at once, so a valid Kubernetes config fails fast
    // (as "unreachable", exit 1) instead of waiting on whatever cluster this machine knows.
    const port = await freePort();
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config', 'current-context: fuzz',
      'clusters: [{ name: fuzz, cluster: { server: "https://127.0.0.1:' + port + '", insecure-skip-tls-verify: true } }]',
      'users: [{ name: fuzz, user: { token: fuzz } }]',
      'contexts: [{ name: fuzz, context: { cluster: fuzz, user: fuzz } }]',
    ].join('\n'));
    cli = new CliRunner({ cwd: dir, config: join(dir, 'cutover.yaml'), timeoutMs: 90_000, env: { KUBECONFIG: join(dir, 'kubeconfig') } });
  });
  after(() => {
    cli?.killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${CLI_RUNS} mutated configs: doctor never exits 70, never prints a stack trace, and a config error names the field`, { timeout: 400_000 }, async () => {
    // Mutations that the loader refuses and ones it accepts, half and half, so both paths of the CLI run.
    const pool = fc.sample(mutatedConfig, { seed: SEED + 1, numRuns: 400 });
    const refusedByLoader = (m: MutatedConfig): boolean => { try { loadAsTheCliDoes(m.text); return false; } catch { return true; } };
    const refused = pool.filter(refusedByLoader).slice(0, Math.ceil(CLI_RUNS / 2));
    const accepted = pool.filter((m) => !refusedByLoader(m)).slice(0, CLI_RUNS - refused.length);
    const cases = [...refused, ...accepted];
    assert.equal(cases.length, CLI_RUNS);
    const deadline = Date.now() + 300_000;
    // Two at a time: the machine has two cores, and each run starts a fresh node.
    for (let i = 0; i < cases.length && Date.now() < deadline; i += 2) {
      const batch = cases.slice(i, i + 2);
      const results = await Promise.all(batch.map((input, k) => {
        const file = join(dir, `cutover-${i + k}.yaml`);
        writeFileSync(file, input.text);
        return cli.cli(['doctor'], { config: file }).then((r) => ({ r, input }));
      }));
      for (const { r, input } of results) {
        const where = `seed ${input.seed}, mutations ${JSON.stringify(input.mutations).slice(0, 600)}\n${explain(r)}`;
        assert.notEqual(r.code, null, `doctor did not finish: ${where}`);
        assert.notEqual(r.code, 70, where);
        assert.ok([0, 1, 2].includes(r.code!), where);
        assert.doesNotMatch(r.stderr, STACK_TRACE, where);
        assert.doesNotMatch(r.stdout, STACK_TRACE, where);
        if (r.code === 2) {
          assert.equal(r.json?.error?.code, 'config', where);
          // Past the loader (the platform, a template) a config error may name its field anywhere in the message.
          const issues: string[] | undefined = r.json.error.details?.issues;
          if (issues) for (const line of issues) assert.match(line.trim(), FIELD_PATH, where);
          else assert.match(String(r.json.error.message), MENTIONS_FIELD, where);
        }
      }
    }
  });
});
