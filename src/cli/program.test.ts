import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from './program.ts';
import { VERBS } from './verbs.ts';
import { traceModules } from '../../test/support/module-trace.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover', import.meta.url));
const HEAVY = [/\/node_modules\/zod\//, /\/node_modules\/@kubernetes\//, /\/node_modules\/@electric-sql\//, /\/node_modules\/libpg-query\//, /\/node_modules\/yaml\//, /\/src\/config\//];

function heavy(modules: string[]): string[] {
  return modules.filter((url) => HEAVY.some((re) => re.test(url)));
}

test('every registered verb is in the registry, with the summary --help shows', async () => {
  const { program } = await buildProgram([], { loadAll: true });
  const registered = new Map(program.commands.map((c) => [c.name(), c.description()]));
  const listed = new Map(VERBS.flatMap((entry) => entry.verbs.map((verb) => [verb, entry.summary[verb]] as const)));
  assert.deepEqual([...registered.keys()].sort(), [...listed.keys()].sort(), 'a verb registered outside src/cli/verbs.ts would be missing from --help');
  for (const [verb, description] of registered) assert.equal(listed.get(verb), description, `summary of ${verb} in verbs.ts`);
});

test('--help shows each verb with its arguments, as the loaded verb declares them, without loading any verb', async () => {
  const { program } = await buildProgram([], { loadAll: true });
  const help = program.createHelp();
  const listed = new Map(VERBS.flatMap((entry) => entry.verbs.map((verb) => [verb, entry.usage?.[verb]] as const)));
  for (const command of program.commands) {
    // A verb with subcommands lists them (`flags set|unset|list`); the others show what commander
    // derives from the real command (`deploy [options] <version>`).
    const expected = command.commands.length > 0 ? `${command.name()} ${command.commands.map((c) => c.name()).join('|')}` : help.subcommandTerm(command);
    assert.equal(`${command.name()}${listed.get(command.name()) ? ` ${listed.get(command.name())}` : ''}`, expected, `usage of ${command.name()} in verbs.ts`);
  }
  const top = await traceModules(BIN, ['--help']);
  assert.equal(top.code, 0, top.stderr);
  for (const term of ['deploy [options] <version>', 'maintenance [options] <on|off>', 'flags set|unset|list', 'migrations lint|status|expand|contract', 'rollback [options]']) {
    assert.ok(top.stdout.includes(term), `--help shows "${term}":\n${top.stdout}`);
  }
  assert.ok(!top.modules.some((url) => /\/src\/cli\/commands\//.test(url)), 'no verb module loaded for --help');
});

test('only the module of the verb being run is loaded; --help lists every verb without loading any', async () => {
  const deploy = await buildProgram(['node', 'cutover', '--config', 'x.yaml', 'deploy', 'v2']);
  assert.deepEqual(deploy.program.commands.map((c) => c.name()), ['deploy']);
  assert.ok(deploy.program.commands[0]!.options.some((o) => o.long === '--no-switch'), 'the real deploy command, not a placeholder');
  // A config file named like a verb is the option's value, not the verb.
  const status = await buildProgram(['node', 'cutover', '-c', 'deploy', 'status']);
  assert.deepEqual(status.program.commands.map((c) => c.name()), ['status']);
  const help = await buildProgram(['node', 'cutover', 'help', 'rollback']);
  assert.ok(help.program.commands.some((c) => c.name() === 'rollback' && c.options.some((o) => o.long === '--force')));
  const top = await buildProgram(['node', 'cutover', '--help']);
  assert.equal(top.program.commands.length, VERBS.flatMap((e) => e.verbs).length);
  assert.ok(top.program.commands.every((c) => c.options.length === 0), 'placeholders only');
});

test('--version and --help load no config schemas, no Kubernetes client, no PGlite', async () => {
  const version = await traceModules(BIN, ['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  assert.ok(version.modules.some((url) => url.endsWith('/src/cli/program.ts')), 'the trace sees the sources');
  assert.deepEqual(heavy(version.modules), []);
  const help = await traceModules(BIN, ['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /deploy/);
  assert.deepEqual(heavy(help.modules), []);
});

test('a local status loads neither the Kubernetes client nor PGlite, nor the spinner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-lazy-'));
  try {
    writeFileSync(join(dir, 'cutover.yaml'), 'app: lazy\nplatform:\n  kind: local\n  command: ["node", "server.js"]\nhealth:\n  checks:\n    - http: /health\n');
    const run = await traceModules(BIN, ['status', '--json'], { cwd: dir });
    assert.ok(run.modules.some((url) => /\/node_modules\/zod\//.test(url)), 'status does load the config schema');
    assert.deepEqual(run.modules.filter((url) => /@kubernetes|@electric-sql|libpg-query|\/node_modules\/ora\//.test(url)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
