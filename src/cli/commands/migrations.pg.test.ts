import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../../../test/support/postgres.ts';

const BIN = new URL('../../../bin/cutover', import.meta.url).pathname;
let server: PostgresServer;
let dir: string;
let databaseUrl: string;

before(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('cli');
  dir = mkdtempSync(join(tmpdir(), 'cutover-mig-cli-'));
  mkdirSync(join(dir, 'migrations/expand'), { recursive: true });
  mkdirSync(join(dir, 'migrations/contract'), { recursive: true });
  mkdirSync(join(dir, '.cutover'));
  // The release gates read the local platform's record (.cutover/state.json) through its store.
  writeFileSync(join(dir, 'cutover.yaml'), 'app: shop-api\nplatform:\n  kind: local\n  command: ["node", "server.js"]\nmigrations:\n  databaseUrl: ${DATABASE_URL}\n  lockTimeout: 2s\n');
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cutover(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, DATABASE_URL: databaseUrl } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function state(colors: Record<'blue' | 'green', { version: string | null; state: string }>, live: 'blue' | 'green', releases: string[]): void {
  const since = new Date().toISOString();
  const recorded = { blue: { ...colors.blue, since }, green: { ...colors.green, since } };
  writeFileSync(join(dir, '.cutover/state.json'), JSON.stringify({ schemaVersion: 1, app: 'shop-api', live, colors: recorded, operation: null, releases }));
}

describe('cutover migrations status|expand|contract', () => {
  test('expand records the live release; contract waits until the old color is retired', async () => {
    writeFileSync(join(dir, 'migrations/expand/001_users.sql'), 'CREATE TABLE users (id bigint, name text, full_name text);\n');
    writeFileSync(join(dir, 'migrations/contract/001_drop_name.sql'), 'ALTER TABLE users DROP COLUMN name;\n');
    state({ blue: { version: 'v1', state: 'live' }, green: { version: null, state: 'empty' } }, 'blue', ['v1']);

    const dry = await cutover('migrations', 'expand', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would apply 1 expand migration .*:\n {2}001_users\.sql/);

    const expand = await cutover('migrations', 'expand');
    assert.equal(expand.code, 0, expand.stderr);
    assert.match(expand.stdout, /applied 1 expand migration for release v1: 001_users\.sql/);

    const status = await cutover('--json', 'migrations', 'status');
    assert.equal(status.code, 0, status.stderr);
    const files = JSON.parse(status.stdout).files.map((f: { phase: string; name: string; state: string; release: string | null }) => [f.phase, f.name, f.state, f.release]);
    assert.deepEqual(files, [['expand', '001_users.sql', 'applied', 'v1'], ['contract', '001_drop_name.sql', 'pending', null]]);

    // v2 goes live on green and applies its own expand migration; blue still runs v1.
    writeFileSync(join(dir, 'migrations/expand/002_email.sql'), 'ALTER TABLE users ADD COLUMN email text;\n');
    state({ blue: { version: 'v1', state: 'ready' }, green: { version: 'v2', state: 'live' } }, 'green', ['v1', 'v2']);
    assert.equal((await cutover('migrations', 'expand')).code, 0);

    const refused = await cutover('migrations', 'contract');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /contract migrations refused: blue still runs v1, which is older than v2/);

    state({ blue: { version: 'v1', state: 'retired' }, green: { version: 'v2', state: 'live' } }, 'green', ['v1', 'v2']);
    const contract = await cutover('migrations', 'contract');
    assert.equal(contract.code, 0, contract.stderr);
    assert.match(contract.stdout, /applied 1 contract migration for release v2: 001_drop_name\.sql/);
  });

  test('a migrations command without a migrations section is a config error (exit 2)', async () => {
    writeFileSync(join(dir, 'other.yaml'), 'app: shop-api\n');
    const r = await cutover('--config', 'other.yaml', 'migrations', 'status');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /migrations are not configured/);
  });
});
